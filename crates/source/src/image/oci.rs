//! OCI image layouts (a directory or a tar): the index, the platform's manifest, provenance attestations.

use super::*;

pub(super) fn descriptor_platform(d: &Descriptor) -> Option<Platform> {
    d.platform().as_ref().map(|p| Platform {
        os: p.os().to_string(),
        architecture: p.architecture().to_string(),
        variant: p.variant().clone(),
    })
}

pub(super) fn platform_matches(want: &Platform, have: &Platform) -> bool {
    want.os == have.os
        && want.architecture == have.architecture
        && match (&want.variant, &have.variant) {
            (Some(w), Some(h)) => w == h,
            (Some(w), None) => w == "v8" && have.architecture == "arm64",
            _ => true,
        }
}

/// The tags (`org.opencontainers.image.ref.name`) of an OCI layout directory or archive, in
/// the order its index lists them.
pub fn layout_tags(path: &Path) -> Result<Vec<String>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let store: Box<dyn Store> = if meta.is_dir() {
        Box::new(DirStore::new(path))
    } else {
        store::open_archive(path)?
    };
    let index = layout_index(store.as_ref())?;
    let mut tags: Vec<String> = Vec::new();
    for d in index.manifests() {
        if let Some(name) = d.annotations().as_ref().and_then(|a| a.get(REF_NAME)) {
            // A full reference (`repo:tag`) is named by its tag, as `oci:PATH:TAG` finds it.
            let tag = match name.rsplit_once(':') {
                Some((_, t)) if !t.contains('/') => t.to_string(),
                _ => name.clone(),
            };
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    Ok(tags)
}

/// A layout's `index.json`.
pub(super) fn layout_index(store: &dyn Store) -> Result<ImageIndex> {
    if !store.exists("index.json") {
        return Err(Error::NotAnImage(format!(
            "{}: not an OCI layout (no index.json)",
            store.describe()
        )));
    }
    let raw = store.read_small("index.json")?;
    serde_json::from_slice(&raw).map_err(|e| Error::json(format!("{}: index.json", store.describe()), e))
}

pub(super) fn open_oci(
    store: Box<dyn Store>,
    name: String,
    tag: Option<&str>,
    platform: &Platform,
    transport: Transport,
) -> Result<Image> {
    let index = layout_index(store.as_ref())?;
    let mut candidates: Vec<Descriptor> = index.manifests().clone();
    if let Some(tag) = tag {
        let tagged: Vec<Descriptor> = candidates
            .iter()
            .filter(|d| {
                d.annotations()
                    .as_ref()
                    .and_then(|a| a.get(REF_NAME))
                    .is_some_and(|r| r == tag || r.ends_with(&format!(":{tag}")))
            })
            .cloned()
            .collect();
        if tagged.is_empty() {
            let names: Vec<String> = candidates
                .iter()
                .filter_map(|d| d.annotations().as_ref().and_then(|a| a.get(REF_NAME)).cloned())
                .collect();
            return Err(Error::NotAnImage(format!(
                "{}: no image tagged {tag:?} (tags: {})",
                store.describe(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        candidates = tagged;
    }
    if candidates.is_empty() {
        return Err(Error::NotAnImage(format!(
            "{}: index.json lists no manifests",
            store.describe()
        )));
    }
    let (manifest_desc, manifest, attestation) = pick_manifest(store.as_ref(), candidates, platform, 0)?;
    let name = match tag {
        Some(t) => format!("{name}:{t}"),
        None => name,
    };
    let place = store.describe();
    let mut image = image_from_manifest(
        store,
        name,
        &place,
        transport,
        &manifest,
        manifest_desc.digest().to_string(),
    )?;
    if let Some(att) = attestation {
        let digest = att.digest().to_string();
        let manifest = match &image.backing {
            Backing::Store(store) => read_verified(
                store.as_ref(),
                &blob_name(&digest),
                &digest,
                "attestation manifest",
            ),
            Backing::RootFs(_) => return Ok(image),
        };
        read_provenance(&mut image, manifest);
    }
    Ok(image)
}

/// An image as its manifest describes it: the config read from `store` and checked against
/// its digest, the layers paired with the config's diff ids, and what the manifest and the
/// config say of the image applied. Layouts and registries both end here.
pub(super) fn image_from_manifest(
    store: Box<dyn Store>,
    name: String,
    place: &str,
    transport: Transport,
    manifest: &ImageManifest,
    manifest_digest: String,
) -> Result<Image> {
    let config_digest = manifest.config().digest().to_string();
    let config_raw = read_verified(
        store.as_ref(),
        &blob_name(&config_digest),
        &config_digest,
        "image config",
    )?;
    let config = parse_config(&config_raw, place)?;
    let layers = manifest_layers(manifest, &config, place)?;
    let mut image = Image::new(name, transport, layers, Backing::Store(store));
    image.manifest_digest = Some(manifest_digest);
    image.config_digest = Some(config_digest);
    image.annotations = manifest
        .annotations()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    apply_config(&mut image, &config);
    apply_docker_config(&mut image, &config_raw);
    Ok(image)
}

/// The attestation manifest BuildKit stored for `manifest_digest` beside it in the index.
pub(super) fn attestation_for(descriptors: &[Descriptor], manifest_digest: &str) -> Option<Descriptor> {
    descriptors
        .iter()
        .find(|d| {
            d.annotations().as_ref().is_some_and(|a| {
                a.get(REFERENCE_TYPE).map(String::as_str) == Some("attestation-manifest")
                    && a.get(REFERENCE_DIGEST).map(String::as_str) == Some(manifest_digest)
            })
        })
        .cloned()
}

/// Reads the SLSA provenance statement an attestation manifest lists. Provenance only refines
/// attribution: when it cannot be read the image is still scanned, with a warning.
pub(super) fn read_provenance(image: &mut Image, manifest: Result<Vec<u8>>) {
    let result = manifest.and_then(|raw| {
        let manifest: ImageManifest =
            serde_json::from_slice(&raw).map_err(|e| Error::json("attestation manifest", e))?;
        let Some(layer) = manifest.layers().iter().find(|l| {
            l.annotations()
                .as_ref()
                .and_then(|a| a.get(PREDICATE_TYPE))
                .is_some_and(|t| t.starts_with("https://slsa.dev/provenance/"))
        }) else {
            return Ok(None);
        };
        if layer.size() > MAX_PROVENANCE {
            return Err(Error::NotAnImage(format!(
                "provenance attestation of {} bytes (more than {} MiB)",
                layer.size(),
                MAX_PROVENANCE >> 20
            )));
        }
        let digest = layer.digest().to_string();
        match &image.backing {
            Backing::Store(store) => read_verified(
                store.as_ref(),
                &blob_name(&digest),
                &digest,
                "provenance attestation",
            )
            .map(Some),
            Backing::RootFs(_) => Ok(None),
        }
    });
    match result {
        Ok(p) => image.provenance = p,
        Err(e) => image
            .warnings
            .push(format!("the image's provenance attestation is not usable: {e}")),
    }
}

/// Walks an index (and nested indexes) down to one image manifest for the platform.
/// The layers a manifest lists, each with the diff_id its config gives (the counts must agree).
pub(super) fn manifest_layers(
    manifest: &ImageManifest,
    config: &ImageConfiguration,
    place: &str,
) -> Result<Vec<LayerInfo>> {
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != manifest.layers().len() {
        return Err(Error::NotAnImage(format!(
            "{place}: manifest lists {} layers but the config lists {} diff_ids",
            manifest.layers().len(),
            diff_ids.len()
        )));
    }
    Ok(manifest
        .layers()
        .iter()
        .zip(diff_ids)
        .enumerate()
        .map(|(index, (d, diff_id))| {
            let digest = d.digest().to_string();
            LayerInfo {
                index,
                blob: blob_name(&digest),
                digest: Some(digest),
                diff_id: Some(diff_id.clone()),
                media_type: Some(d.media_type().to_string()),
                size: Some(d.size()),
                created_by: None,
            }
        })
        .collect())
}

/// The chosen manifest, and the attestation manifest the index keeps for it, if any.
pub(super) fn pick_manifest(
    store: &dyn Store,
    candidates: Vec<Descriptor>,
    platform: &Platform,
    depth: usize,
) -> Result<(Descriptor, ImageManifest, Option<Descriptor>)> {
    if depth > 4 {
        return Err(Error::NotAnImage(format!(
            "{}: image indexes nested too deeply",
            store.describe()
        )));
    }
    let mut images: Vec<(Descriptor, Option<Platform>)> = Vec::new();
    let all = candidates.clone();
    for d in candidates {
        let media_type = d.media_type().to_string();
        if INDEX_MEDIA_TYPES.contains(&media_type.as_str()) {
            let digest = d.digest().to_string();
            let raw = read_verified(store, &blob_name(&digest), &digest, "image index")?;
            let nested: ImageIndex =
                serde_json::from_slice(&raw).map_err(|e| Error::json(format!("image index {digest}"), e))?;
            return pick_manifest(store, nested.manifests().clone(), platform, depth + 1);
        }
        if !MANIFEST_MEDIA_TYPES.contains(&media_type.as_str()) {
            continue;
        }
        let p = descriptor_platform(&d);
        // Attestation manifests carry the platform unknown/unknown.
        if p.as_ref().is_some_and(|p| p.os == "unknown") {
            continue;
        }
        images.push((d, p));
    }
    if images.is_empty() {
        return Err(Error::NotAnImage(format!(
            "{}: no image manifest of a known media type in the index",
            store.describe()
        )));
    }
    let chosen = if images.len() == 1 && images[0].1.as_ref().is_none_or(|p| platform_matches(platform, p)) {
        images.remove(0).0
    } else if images.iter().all(|(_, p)| p.is_some()) {
        match images
            .iter()
            .position(|(_, p)| p.as_ref().is_some_and(|p| platform_matches(platform, p)))
        {
            Some(i) => images.remove(i).0,
            None => {
                let available: Vec<String> = images
                    .iter()
                    .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
                    .collect();
                return Err(Error::Platform(format!(
                    "{}: no image for platform {platform} (available: {}); choose one with --platform",
                    store.describe(),
                    available.join(", ")
                )));
            }
        }
    } else {
        return Err(Error::NotAnImage(format!(
            "{}: the layout holds {} images; name one with :TAG",
            store.describe(),
            images.len()
        )));
    };
    let digest = chosen.digest().to_string();
    let raw = read_verified(store, &blob_name(&digest), &digest, "image manifest")?;
    let manifest: ImageManifest =
        serde_json::from_slice(&raw).map_err(|e| Error::json(format!("image manifest {digest}"), e))?;
    let attestation = attestation_for(&all, &digest);
    Ok((chosen, manifest, attestation))
}
