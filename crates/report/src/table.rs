use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};

use crate::{ImageSummary, SbomDocument};

/// The lines every table report opens with: the image, its OS, its layers and how many
/// packages were read.
pub(crate) fn image_header(image: &ImageSummary, packages: usize) -> String {
    let mut out = format!("Image:    {}\n", image.name);
    if let Some(os) = &image.os {
        let name = os
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or("")));
        out.push_str(&format!("OS:       {}\n", name.trim()));
    }
    out.push_str(&format!("Layers:   {}\n", image.layers.len()));
    out.push_str(&format!("Packages: {packages}\n"));
    out
}

/// The image header and one row per package.
pub fn render(doc: &SbomDocument) -> String {
    let mut out = image_header(&doc.image, doc.packages.len());
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
