//! Images pulled from a registry: the manifest by tag or digest, then the platform's manifest and config, each checked against its digest.

use super::*;

pub(super) fn open_registry(
    reference: &crate::registry::Reference,
    platform: &Platform,
    options: &crate::registry::RegistryOptions,
) -> Result<Image> {
    let registry = crate::registry::Registry::connect(reference, options)?;
    let place = format!("docker://{reference}");
    let (mut bytes, mut media_type) = registry.manifest(reference.target())?;
    let mut digest = sha256_hex(&bytes);
    if let Some(expected) = &reference.digest
        && *expected != digest
    {
        return Err(Error::DigestMismatch {
            what: format!("manifest of {place}"),
            expected: expected.clone(),
            actual: digest,
        });
    }
    let mut attestation = None;
    for _ in 0..4 {
        if !INDEX_MEDIA_TYPES.contains(&media_type.as_str()) {
            break;
        }
        let index: ImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| Error::json(format!("{place}: image index"), e))?;
        let all = index.manifests().clone();
        let mut images: Vec<(Descriptor, Option<Platform>)> = index
            .manifests()
            .iter()
            .filter(|d| {
                let mt = d.media_type().to_string();
                MANIFEST_MEDIA_TYPES.contains(&mt.as_str()) || INDEX_MEDIA_TYPES.contains(&mt.as_str())
            })
            .map(|d| (d.clone(), descriptor_platform(d)))
            .filter(|(_, p)| p.as_ref().is_none_or(|p| p.os != "unknown"))
            .collect();
        let chosen = match images
            .iter()
            .position(|(_, p)| p.as_ref().is_some_and(|p| platform_matches(platform, p)))
        {
            Some(i) => images.remove(i).0,
            None if images.len() == 1 && images[0].1.is_none() => images.remove(0).0,
            None => {
                let available: Vec<String> = images
                    .iter()
                    .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
                    .collect();
                return Err(Error::Platform(format!(
                    "{place}: no image for platform {platform} (available: {}); choose one with --platform",
                    available.join(", ")
                )));
            }
        };
        let want = chosen.digest().to_string();
        let (b, mt) = registry.manifest(&want)?;
        let got = sha256_hex(&b);
        if got != want {
            return Err(Error::DigestMismatch {
                what: format!("manifest {want} of {place}"),
                expected: want,
                actual: got,
            });
        }
        attestation = attestation_for(&all, &got);
        bytes = b;
        media_type = mt;
        digest = got;
    }
    if !MANIFEST_MEDIA_TYPES.contains(&media_type.as_str()) {
        return Err(Error::Unsupported(format!(
            "{place}: manifest media type {media_type:?}"
        )));
    }
    let manifest: ImageManifest =
        serde_json::from_slice(&bytes).map_err(|e| Error::json(format!("{place}: image manifest"), e))?;
    let attestation_manifest = attestation.map(|att| {
        let want = att.digest().to_string();
        registry.manifest(&want).and_then(|(b, _)| {
            let got = sha256_hex(&b);
            if got == want {
                Ok(b)
            } else {
                Err(Error::DigestMismatch {
                    what: format!("attestation manifest of {place}"),
                    expected: want,
                    actual: got,
                })
            }
        })
    });
    let mut image = image_from_manifest(
        Box::new(registry),
        place.clone(),
        &place,
        Transport::Docker,
        &manifest,
        digest,
    )?;
    image.repo_tags = reference
        .tag
        .iter()
        .map(|t| format!("{}/{}:{t}", reference.registry, reference.repository))
        .collect();
    if let Some(manifest) = attestation_manifest {
        read_provenance(&mut image, manifest);
    }
    Ok(image)
}
