//! `docker save` archives, classic and Docker ≥ 25 (an OCI layout inside).

use super::*;

pub(super) fn open_docker_archive(
    store: Box<dyn Store>,
    path: &Path,
    reference: Option<&str>,
) -> Result<Image> {
    let raw = store.read_small("manifest.json")?;
    let entries: Option<Vec<DockerManifestEntry>> = serde_json::from_slice(&raw)
        .map_err(|e| Error::json(format!("{}: manifest.json", path.display()), e))?;
    let mut entries = entries.unwrap_or_default();
    if entries.is_empty() {
        return Err(Error::NotAnImage(format!(
            "{}: manifest.json lists no images",
            path.display()
        )));
    }
    let entry = match reference {
        Some(r) if r.starts_with('@') => {
            let i: usize = r[1..]
                .parse()
                .map_err(|_| Error::Usage(format!("invalid archive index {r:?}")))?;
            if i >= entries.len() {
                return Err(Error::NotAnImage(format!(
                    "{}: archive holds {} images, no @{i}",
                    path.display(),
                    entries.len()
                )));
            }
            entries.remove(i)
        }
        Some(r) => {
            let pos = entries.iter().position(|e| {
                e.repo_tags.as_ref().is_some_and(|tags| {
                    tags.iter().any(|t| {
                        t == r
                            || t.ends_with(&format!("/{r}"))
                            || t.rsplit_once(':').is_some_and(|(_, tag)| tag == r)
                    })
                })
            });
            match pos {
                Some(i) => entries.remove(i),
                None => {
                    return Err(Error::NotAnImage(format!(
                        "{}: no image tagged {r:?} in the archive",
                        path.display()
                    )));
                }
            }
        }
        None if entries.len() > 1 => {
            let tags: Vec<String> = entries
                .iter()
                .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                .collect();
            return Err(Error::NotAnImage(format!(
                "{}: the archive holds {} images ({}); choose one with docker-archive:PATH:TAG or :@N",
                path.display(),
                entries.len(),
                tags.join(", ")
            )));
        }
        None => entries.remove(0),
    };
    let config_name = paths_clean(&entry.config)?;
    let config_raw = store.read_small(&config_name)?;
    let config_digest = sha256_hex(&config_raw);
    // Docker names the config after its digest by convention only (`docker load` never checks),
    // so a mismatch is reported, not fatal; layer digests are still verified.
    let mut warnings = Vec::new();
    if let Some(hex) = expected_hex(&config_name)
        && config_digest != format!("sha256:{hex}")
    {
        warnings.push(format!(
            "{}: image config {config_name} does not match the digest in its name (content is {config_digest})",
            path.display()
        ));
    }
    let config = parse_config(&config_raw, &path.display().to_string())?;
    let diff_ids = config.rootfs().diff_ids().clone();
    if diff_ids.len() != entry.layers.len() {
        return Err(Error::NotAnImage(format!(
            "{}: manifest.json lists {} layers but the config lists {} diff_ids",
            path.display(),
            entry.layers.len(),
            diff_ids.len()
        )));
    }
    let mut layers = Vec::new();
    for (index, name) in entry.layers.iter().enumerate() {
        let blob = paths_clean(name)?;
        if !store.exists(&blob) {
            return Err(Error::NotAnImage(format!(
                "{}: layer {blob} is missing from the archive",
                path.display()
            )));
        }
        layers.push(LayerInfo {
            index,
            digest: expected_hex(&blob).map(|h| format!("sha256:{h}")),
            diff_id: Some(diff_ids[index].clone()),
            media_type: None,
            size: None,
            created_by: None,
            blob,
        });
    }
    let mut image = Image::new(
        format!("docker-archive:{}", path.display()),
        Transport::DockerArchive,
        layers,
        Backing::Store(store),
    );
    image.config_digest = Some(config_digest);
    image.repo_tags = entry.repo_tags.unwrap_or_default();
    image.warnings = warnings;
    apply_config(&mut image, &config);
    apply_docker_config(&mut image, &config_raw);
    Ok(image)
}

pub(super) fn paths_clean(name: &str) -> Result<String> {
    crate::paths::entry_name(name, "manifest.json")
}

/// Content-addressed member names (`blobs/sha256/<hex>`, `<hex>.json`, skopeo's `<hex>.tar`)
/// promise their own digest.
pub(super) fn expected_hex(name: &str) -> Option<String> {
    let file = crate::paths::file_name(name);
    let stem = file
        .strip_suffix(".json")
        .or_else(|| file.strip_suffix(".tar"))
        .unwrap_or(file);
    let looks_hex = stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit());
    let under_blobs = name.starts_with("blobs/sha256/") || !name.contains('/');
    (looks_hex && under_blobs).then(|| stem.to_ascii_lowercase())
}
