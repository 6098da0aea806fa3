//! A snapshot: an image's inventory (drydock's SBOM JSON) and its identity.

use drydock_report::SbomDocument;

use crate::Error;

/// The largest SBOM document accepted, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 64 << 20;

/// An image's inventory and identity: what the store keeps instead of the layers.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// What users call the image: `--name`, else its repository:tag, else its source.
    pub name: String,
    /// The manifest digest; an image without one (a root filesystem) gets the SHA-256 of its
    /// inventory, so one content is one snapshot.
    pub digest: String,
    /// The registry repository, for an image read from one.
    pub repository: Option<String>,
    /// Its tag, when read by tag.
    pub tag: Option<String>,
    /// `linux/amd64`.
    pub platform: Option<String>,
    /// The `drydock sbom` JSON.
    pub sbom: SbomDocument,
}

impl Snapshot {
    /// Reads an uploaded `drydock sbom -f json` document. Every problem is an [`Error::Input`]
    /// naming what is wrong; nothing is stored from a document that fails.
    pub fn from_json(bytes: &[u8], name: Option<&str>) -> Result<Snapshot, Error> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(Error::Input(format!(
                "the snapshot is {} bytes, over the {} byte limit",
                bytes.len(),
                MAX_SNAPSHOT_BYTES
            )));
        }
        let sbom: SbomDocument = serde_json::from_slice(bytes)
            .map_err(|e| Error::Input(format!("not a drydock SBOM document: {e}")))?;
        Snapshot::new(sbom, name)
    }

    /// The snapshot of an SBOM, validated; `name` overrides the image's own.
    pub fn new(sbom: SbomDocument, name: Option<&str>) -> Result<Snapshot, Error> {
        if sbom.schema_version != drydock_report::SCHEMA_VERSION {
            return Err(Error::Input(format!(
                "SBOM schema version {} (this drydock reads {})",
                sbom.schema_version,
                drydock_report::SCHEMA_VERSION
            )));
        }
        for (i, p) in sbom.packages.iter().enumerate() {
            if p.name.trim().is_empty() || p.version.trim().is_empty() {
                return Err(Error::Input(format!("package {i} has an empty name or version")));
            }
        }
        let digest = match &sbom.image.manifest_digest {
            Some(d) if valid_digest(d) => d.clone(),
            Some(d) => {
                return Err(Error::Input(format!(
                    "image.manifest_digest {:?} is not a sha256 digest",
                    d.chars().take(80).collect::<String>()
                )));
            }
            None => {
                let canonical =
                    serde_json::to_vec(&sbom.packages).map_err(|e| Error::Input(e.to_string()))?;
                drydock_source::digest::sha256_hex(&canonical)
            }
        };
        let (repository, tag) = sbom
            .image
            .repo_tags
            .first()
            .map(|t| split_tag(t))
            .unwrap_or((None, None));
        let name = match name {
            Some(n) if !n.trim().is_empty() => n.trim().to_string(),
            Some(_) => return Err(Error::Input("an empty image name".into())),
            None => sbom
                .image
                .repo_tags
                .first()
                .cloned()
                .unwrap_or_else(|| sbom.image.name.clone()),
        };
        if name.len() > 512 || name.chars().any(char::is_control) {
            return Err(Error::Input(
                "the image name is over 512 bytes or holds control characters".into(),
            ));
        }
        Ok(Snapshot {
            name,
            digest,
            repository,
            tag,
            platform: sbom.image.platform.clone(),
            sbom,
        })
    }
}

/// A sha256 manifest digest, as the source crate parses digests.
pub fn valid_digest(d: &str) -> bool {
    drydock_source::digest::parse(d).is_some_and(|(algorithm, _)| algorithm == "sha256")
}

/// `registry/repo:tag` → (`registry/repo`, `tag`); a colon inside the registry's port is not a tag.
fn split_tag(reference: &str) -> (Option<String>, Option<String>) {
    let reference = reference.split('@').next().unwrap_or(reference);
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (Some(repo.to_string()), Some(tag.to_string())),
        _ => (Some(reference.to_string()), None),
    }
}
