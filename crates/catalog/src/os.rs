//! Identifies the image's operating system.

use drydock_source::Filesystem;

use crate::model::Distro;

/// Files consulted, most authoritative first.
pub const OS_FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/debian_version",
    "etc/redhat-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/oracle-release",
    "etc/fedora-release",
];

/// The OS, from os-release or, without one, the older release files.
pub fn detect(fs: &Filesystem) -> Option<Distro> {
    for file in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(data) = fs.read(file)
            && let Some(mut distro) = parse_os_release(&String::from_utf8_lossy(data), file)
        {
            if distro.version_id.is_none() {
                distro.version_id = fallback_version(fs, &distro.id);
            }
            return Some(distro);
        }
    }
    if let Some(data) = fs.read("etc/alpine-release") {
        let version = String::from_utf8_lossy(data).trim().to_string();
        if !version.is_empty() {
            return Some(Distro {
                id: "alpine".into(),
                version_id: Some(version),
                source: "etc/alpine-release".into(),
                ..Default::default()
            });
        }
    }
    for file in [
        "etc/centos-release",
        "etc/rocky-release",
        "etc/almalinux-release",
        "etc/oracle-release",
        "etc/fedora-release",
        "etc/redhat-release",
    ] {
        if let Some(data) = fs.read(file)
            && let Some(distro) = parse_redhat_release(&String::from_utf8_lossy(data), file)
        {
            return Some(distro);
        }
    }
    if let Some(data) = fs.read("etc/debian_version") {
        let version = String::from_utf8_lossy(data).trim().to_string();
        if !version.is_empty() {
            return Some(Distro {
                id: "debian".into(),
                version_id: Some(version),
                source: "etc/debian_version".into(),
                ..Default::default()
            });
        }
    }
    None
}

fn fallback_version(fs: &Filesystem, id: &str) -> Option<String> {
    let file = match id {
        "alpine" => "etc/alpine-release",
        "debian" => "etc/debian_version",
        _ => return None,
    };
    let text = String::from_utf8_lossy(fs.read(file)?).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// os-release(5): `KEY=VALUE` lines, values optionally quoted with shell-style escapes.
pub fn parse_os_release(text: &str, source: &str) -> Option<Distro> {
    let mut distro = Distro {
        source: source.to_string(),
        ..Default::default()
    };
    let mut name = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "ID" => distro.id = value.to_ascii_lowercase(),
            "VERSION_ID" => distro.version_id = Some(value),
            "PRETTY_NAME" => distro.pretty_name = Some(value),
            "VERSION_CODENAME" => distro.version_codename = Some(value),
            "ID_LIKE" => distro.id_like = value.split_whitespace().map(|s| s.to_ascii_lowercase()).collect(),
            "NAME" => name = Some(value),
            _ => {}
        }
    }
    if distro.id.is_empty() {
        let name = name?;
        distro.id = name.split_whitespace().next()?.to_ascii_lowercase();
    }
    Some(distro)
}

fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.len() >= 2 && (bytes[0] == b'"' || bytes[0] == b'\'') && bytes[bytes.len() - 1] == bytes[0] {
        let inner = &raw[1..raw.len() - 1];
        if bytes[0] == b'\'' {
            return inner.to_string();
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        raw.to_string()
    }
}

/// `CentOS Linux release 7.9.2009 (Core)`, `Red Hat Enterprise Linux Server release 6.10 (Santiago)`.
pub fn parse_redhat_release(text: &str, source: &str) -> Option<Distro> {
    let line = text.lines().next()?.trim();
    let (product, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    let lower = product.to_ascii_lowercase();
    let id = if lower.starts_with("centos") {
        "centos"
    } else if lower.starts_with("rocky") {
        "rocky"
    } else if lower.starts_with("almalinux") {
        "almalinux"
    } else if lower.starts_with("oracle") {
        "ol"
    } else if lower.starts_with("fedora") {
        "fedora"
    } else if lower.starts_with("red hat") {
        "rhel"
    } else {
        return None;
    };
    Some(Distro {
        id: id.to_string(),
        version_id: Some(version),
        pretty_name: Some(line.to_string()),
        source: source.to_string(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes_and_fallbacks() {
        let d = parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n", "etc/os-release").unwrap();
        assert_eq!(d.id, "debian");
        assert_eq!(d.version_id.as_deref(), Some("12"));
        assert_eq!(d.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert!(parse_os_release("# nothing\n", "x").is_none());
    }

    #[test]
    fn redhat_release_lines() {
        let d = parse_redhat_release("CentOS Linux release 7.9.2009 (Core)\n", "etc/centos-release").unwrap();
        assert_eq!(
            (d.id.as_str(), d.version_id.as_deref()),
            ("centos", Some("7.9.2009"))
        );
        let d = parse_redhat_release(
            "Red Hat Enterprise Linux Server release 6.10 (Santiago)",
            "etc/redhat-release",
        )
        .unwrap();
        assert_eq!((d.id.as_str(), d.version_id.as_deref()), ("rhel", Some("6.10")));
        assert!(parse_redhat_release("", "x").is_none());
    }
}
