use crate::SbomDocument;

/// drydock's SBOM JSON, pretty-printed.
pub fn render(doc: &SbomDocument) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(doc).unwrap_or_default();
    out.push('\n');
    out
}
