//! `--format html`: one self-contained file. The report's data is embedded once, as the same
//! document `--format json` prints, and rendered by an inline script; there is no network access
//! of any kind (no fonts, no CDN), and a Content-Security-Policy allows only the page's own
//! script and style by their hashes. Every value is inserted as text, never as markup: package
//! names, paths and advisory texts come from untrusted images and databases.

use base64::Engine;
use sha2::{Digest, Sha256};

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/report.js");

/// What the embedded document is: it decides the sections the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A scan report.
    Scan,
    /// An SBOM.
    Sbom,
    /// A comparison.
    Compare,
    /// Lint findings.
    Lint,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Scan => "scan",
            Kind::Sbom => "sbom",
            Kind::Compare => "compare",
            Kind::Lint => "lint",
        }
    }
}

fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JSON inside `<script type="application/json">`: `<`, `>` and `&` can only occur inside
/// strings, where their `\u` escapes mean the same, so no `</script>` can end the block early.
fn embed_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The page for `json`, the document `--format json` prints for this kind of report.
pub fn render(kind: Kind, title: &str, json: &str) -> String {
    let csp = format!(
        "default-src 'none'; script-src {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<noscript>This report renders with JavaScript; its data is the JSON document in this file.</noscript>\n\
<div id=\"report\"></div>\n\
<script type=\"application/json\" id=\"drydock-data\" data-kind=\"{}\">{}</script>\n\
<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape_text(&format!("drydock {}: {title}", kind.as_str())),
        kind.as_str(),
        embed_json(json.trim_end()),
    )
}

/// The embedded document of a page [`render`] wrote (JSON text, `<>&` as `\u` escapes).
pub fn embedded_json(page: &str) -> Option<&str> {
    let start = page.find("id=\"drydock-data\"")?;
    let body = &page[start..];
    let open = body.find('>')? + 1;
    let close = body.find("</script>")?;
    Some(&body[open..close])
}
