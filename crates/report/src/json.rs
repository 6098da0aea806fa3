use crate::SbomDocument;

/// drydock's SBOM JSON, pretty-printed.
pub fn render(doc: &SbomDocument) -> String {
    let mut out = Vec::new();
    // Writing plain structs of strings and numbers into memory cannot fail.
    let _ = write_to(doc, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`render`] straight into `out`, so a large SBOM is never held twice.
pub fn write_to(doc: &SbomDocument, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    crate::write_json(doc, out)
}
