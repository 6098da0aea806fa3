//! The image configuration: environment, labels, history, and the Docker-specific fields.

use super::*;

pub(super) fn parse_config(raw: &[u8], place: &str) -> Result<ImageConfiguration> {
    serde_json::from_slice(raw).map_err(|e| Error::json(format!("{place}: image config"), e))
}

pub(super) fn apply_config(image: &mut Image, config: &ImageConfiguration) {
    image.platform = Some(Platform {
        os: config.os().to_string(),
        architecture: config.architecture().to_string(),
        variant: config.variant().clone(),
    });
    if let Some(c) = config.config() {
        image.env = c.env().clone().unwrap_or_default();
        image.user = c.user().clone().filter(|u| !u.is_empty());
        image.labels = c.labels().clone().unwrap_or_default().into_iter().collect();
        image.volumes = c.volumes().clone().unwrap_or_default();
        image.exposed_ports = c.exposed_ports().clone().unwrap_or_default();
    }
    image.created = config.created().clone();
    let history = config.history().clone().unwrap_or_default();
    // Entries pair with layers in order, skipping `empty_layer` ones. When the counts differ the
    // pairing is unknowable: shifting entries would blame the wrong step for every package.
    let producing = history
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .count();
    let usable = producing == image.layers.len();
    if !history.is_empty() && !usable {
        image.warnings.push(format!(
            "the image history lists {producing} layer-creating step(s) for {} layer(s): it is not used to attribute layers",
            image.layers.len()
        ));
    }
    let mut next_layer = 0;
    for h in history {
        let empty = h.empty_layer().unwrap_or(false);
        let layer = (usable && !empty).then_some(next_layer);
        if let Some(i) = layer {
            image.layers[i].created_by = h.created_by().clone();
            next_layer += 1;
        }
        image.history.push(HistoryEntry {
            created_by: h.created_by().clone(),
            empty_layer: empty,
            layer,
        });
    }
}

/// What Docker keeps in the config beyond the OCI fields: the health check.
pub(super) fn apply_docker_config(image: &mut Image, raw: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        config: Option<RawConfig>,
    }
    #[derive(serde::Deserialize)]
    struct RawConfig {
        #[serde(rename = "Healthcheck", default)]
        healthcheck: Option<RawHealthcheck>,
    }
    #[derive(serde::Deserialize)]
    struct RawHealthcheck {
        #[serde(rename = "Test", default)]
        test: Option<Vec<String>>,
    }
    if let Ok(raw) = serde_json::from_slice::<Raw>(raw) {
        image.healthcheck = raw
            .config
            .and_then(|c| c.healthcheck)
            .map(|h| h.test.unwrap_or_default());
    }
}
