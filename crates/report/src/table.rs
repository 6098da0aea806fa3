use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};

use crate::SbomDocument;

pub fn render(doc: &SbomDocument) -> String {
    let mut out = String::new();
    out.push_str(&format!("Image:    {}\n", doc.image.name));
    if let Some(os) = &doc.image.os {
        let name = os
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or("")));
        out.push_str(&format!("OS:       {name}\n"));
    }
    out.push_str(&format!("Layers:   {}\n", doc.image.layers.len()));
    out.push_str(&format!("Packages: {}\n", doc.packages.len()));
    if !doc.unscanned.is_empty() {
        out.push_str(&format!(
            "Unscanned: {} executables and shared libraries no package accounts for (see --format json)\n",
            doc.unscanned.len()
        ));
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec!["NAME", "VERSION", "TYPE", "SOURCE", "LAYER"]);
    for p in &doc.packages {
        let source = match (&p.source_name, &p.source_version) {
            (Some(n), Some(v)) if *n != p.name || *v != p.version => format!("{n} {v}"),
            _ => String::new(),
        };
        table.add_row(vec![
            p.name.clone(),
            p.version.clone(),
            p.ecosystem.as_str().to_string(),
            source,
            p.layer.map(|l| l.to_string()).unwrap_or_default(),
        ]);
    }
    if !doc.packages.is_empty() {
        out.push_str(&table.to_string());
        out.push('\n');
    }
    out
}
