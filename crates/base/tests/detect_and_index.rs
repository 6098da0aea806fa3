//! Detection and the index on images written here: layouts indexed, moved, and recognised by
//! their layers; each kind of evidence deciding in its turn.

use std::collections::BTreeMap;

use drydock_base::BaseIndex;
use drydock_base::chain::chain_ids;
use drydock_base::detect::{BASE_DIGEST, BASE_NAME, ImageEvidence, detect, history_base_layers};
use drydock_catalog::{BaseConfidence, BaseEvidence};
use drydock_source::{HistoryEntry, Image, Platform, RegistryOptions, SourceSpec};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder};

fn layer(name: &str) -> Vec<u8> {
    LayerBuilder::new()
        .file(&format!("etc/{name}"), name.as_bytes())
        .finish()
}

fn base_image(marker: &str) -> ImageBuilder {
    ImageBuilder::new()
        .layer(layer(&format!("{marker}-1")), Comp::Gzip, "ADD rootfs.tar /")
        .layer(
            layer(&format!("{marker}-2")),
            Comp::Gzip,
            "RUN apt-get install -y patch",
        )
}

fn on(base: ImageBuilder, own: &str) -> ImageBuilder {
    base.layer(layer(own), Comp::Gzip, "COPY app /app")
}

fn open(dir: &std::path::Path) -> Image {
    Image::open(
        &SourceSpec::parse(&format!("oci:{}", dir.display())).unwrap(),
        &Platform::default(),
    )
    .unwrap()
}

fn diff_ids(image: &Image) -> Vec<Option<String>> {
    image.layers.iter().map(|l| l.diff_id.clone()).collect()
}

fn index_layout(index: &mut BaseIndex, dir: &std::path::Path) -> drydock_base::index::IndexReport {
    index
        .update(
            &format!("oci:{}", dir.display()),
            None,
            &Platform::default(),
            &RegistryOptions::default(),
        )
        .unwrap()
        .1
}

const NO_MAP: &BTreeMap<String, String> = &BTreeMap::new();

/// Evidence without layers, annotations or labels.
fn bare<'a>(
    history: &'a [HistoryEntry],
    provenance: Option<&'a [u8]>,
    dockerfile: Option<&'a drydock_dockerfile::Dockerfile>,
    aligned_base_layers: Option<usize>,
) -> ImageEvidence<'a> {
    ImageEvidence {
        diff_ids: &[],
        annotations: NO_MAP,
        labels: NO_MAP,
        history,
        provenance,
        dockerfile,
        aligned_base_layers,
    }
}

fn evidence<'a>(image: &'a Image, ids: &'a [Option<String>]) -> ImageEvidence<'a> {
    ImageEvidence {
        diff_ids: ids,
        annotations: &image.annotations,
        labels: &image.labels,
        history: &image.history,
        provenance: None,
        dockerfile: None,
        aligned_base_layers: None,
    }
}

#[test]
fn an_image_is_recognised_by_the_chain_ids_of_an_indexed_base_even_after_the_tag_moved() {
    let tmp = tempfile::tempdir().unwrap();
    let (base_dir, app_dir) = (tmp.path().join("base"), tmp.path().join("app"));
    base_image("v1").write_oci_dir_tagged(&base_dir, "12");
    on(base_image("v1"), "app").write_oci_dir(&app_dir);

    let mut index = BaseIndex::default();
    let first = index_layout(&mut index, &base_dir);
    assert_eq!(
        (first.added.len(), first.moved.len(), first.unchanged.len()),
        (1, 0, 0)
    );
    let again = index_layout(&mut index, &base_dir);
    assert_eq!(
        (again.added.len(), again.moved.len(), again.unchanged.len()),
        (0, 0, 1)
    );
    let key = format!("oci:{}", std::fs::canonicalize(&base_dir).unwrap().display());
    let v1 = index.repositories[&key].tags["12"].current.clone();
    assert_eq!(v1.chain_ids.len(), 2);
    assert_eq!(v1.platform.as_deref(), Some("linux/amd64"));
    let v1_image = open(&base_dir);
    assert_eq!(v1.manifest_digest, v1_image.manifest_digest.clone().unwrap());
    let v1_ids: Vec<String> = v1_image
        .layers
        .iter()
        .map(|l| l.diff_id.clone().unwrap())
        .collect();
    assert_eq!(v1.chain_ids, chain_ids(&v1_ids));
    assert_eq!(
        v1.size,
        v1_image.layers.iter().map(|l| l.size.unwrap()).sum::<u64>()
    );

    // The tag moves to a rebuilt base: the old digest is kept.
    std::fs::remove_dir_all(&base_dir).unwrap();
    base_image("v2").write_oci_dir_tagged(&base_dir, "12");
    let moved = index_layout(&mut index, &base_dir);
    assert_eq!(moved.moved, vec!["12".to_string()]);
    let entry = &index.repositories[&key].tags["12"];
    assert_ne!(entry.current.manifest_digest, v1.manifest_digest);
    assert_eq!(entry.previous[0].manifest_digest, v1.manifest_digest);

    let app = open(&app_dir);
    let ids = diff_ids(&app);
    let found = detect(&evidence(&app, &ids), Some(&index)).unwrap();
    assert_eq!(found.evidence, BaseEvidence::Layers);
    assert_eq!(found.confidence, BaseConfidence::High);
    assert_eq!(found.layers, Some(2));
    assert_eq!(found.digest.as_deref(), Some(v1.manifest_digest.as_str()));
    assert_eq!(found.tag.as_deref(), Some("12"));
    assert_eq!(found.name.as_deref(), Some(key.as_str()));

    // Saved and loaded whole.
    index.save(tmp.path()).unwrap();
    let loaded = BaseIndex::load(tmp.path()).unwrap();
    assert_eq!(loaded.repositories[&key].tags["12"].previous.len(), 1);
}

#[test]
fn a_longer_indexed_prefix_wins_and_an_unrelated_image_matches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (small, bigger, app, other) = (
        tmp.path().join("small"),
        tmp.path().join("bigger"),
        tmp.path().join("app"),
        tmp.path().join("other"),
    );
    base_image("b").write_oci_dir(&small);
    on(base_image("b"), "middle").write_oci_dir(&bigger);
    on(on(base_image("b"), "middle"), "app").write_oci_dir(&app);
    on(base_image("x"), "app").write_oci_dir(&other);
    let mut index = BaseIndex::default();
    index_layout(&mut index, &small);
    index_layout(&mut index, &bigger);
    let app = open(&app);
    let ids = diff_ids(&app);
    let found = detect(&evidence(&app, &ids), Some(&index)).unwrap();
    assert_eq!(found.layers, Some(3));
    assert!(found.name.unwrap().ends_with("/bigger"));
    // Same files on another parent: another ChainID. Only the history is left.
    let other = open(&other);
    let ids = diff_ids(&other);
    let found = detect(&evidence(&other, &ids), Some(&index));
    assert!(
        found.as_ref().is_none_or(|b| b.evidence == BaseEvidence::History),
        "{found:?}"
    );
}

#[test]
fn annotations_decide_before_layers_and_a_disagreement_is_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let (base_dir, app_dir) = (tmp.path().join("base"), tmp.path().join("app"));
    base_image("v1").write_oci_dir_tagged(&base_dir, "12");
    let digest = format!("sha256:{}", "d".repeat(64));
    let mut app = on(base_image("v1"), "app");
    app.annotations
        .insert(BASE_NAME.into(), "docker.io/library/debian:12".into());
    app.annotations.insert(BASE_DIGEST.into(), digest.clone());
    app.write_oci_dir(&app_dir);
    let mut index = BaseIndex::default();
    index_layout(&mut index, &base_dir);
    let image = open(&app_dir);
    let ids = diff_ids(&image);
    let found = detect(&evidence(&image, &ids), Some(&index)).unwrap();
    assert_eq!(found.evidence, BaseEvidence::Annotation);
    assert_eq!(found.confidence, BaseConfidence::High);
    assert_eq!(
        (
            found.name.as_deref(),
            found.tag.as_deref(),
            found.digest.as_deref()
        ),
        (
            Some("docker.io/library/debian"),
            Some("12"),
            Some(digest.as_str())
        )
    );
    // The index does not know that digest: the layer count comes from the matching layers.
    assert_eq!(found.layers, Some(2));
    assert!(
        found.notes.iter().any(|n| n.contains("the layers match")),
        "{:?}",
        found.notes
    );

    // A digest that is not one (not 64 hex digits) is dropped, never shown or pulled.
    let mut odd = on(base_image("v1"), "app");
    odd.annotations.insert(BASE_NAME.into(), "debian:12".into());
    odd.annotations
        .insert(BASE_DIGEST.into(), format!("sha256:{}", "é".repeat(40)));
    let odd_dir = tmp.path().join("odd");
    odd.write_oci_dir(&odd_dir);
    let image = open(&odd_dir);
    let ids = diff_ids(&image);
    let found = detect(&evidence(&image, &ids), None).unwrap();
    assert_eq!((found.digest, found.confidence), (None, BaseConfidence::Medium));

    // A label without a digest: medium confidence.
    let mut labelled = on(base_image("v1"), "app");
    labelled
        .labels
        .insert(BASE_NAME.into(), "debian:bookworm-slim".into());
    let dir = tmp.path().join("labelled");
    labelled.write_oci_dir(&dir);
    let image = open(&dir);
    let ids = diff_ids(&image);
    let found = detect(&evidence(&image, &ids), None).unwrap();
    assert_eq!(
        (
            found.evidence,
            found.confidence,
            found.name.as_deref(),
            found.tag.as_deref()
        ),
        (
            BaseEvidence::Annotation,
            BaseConfidence::Medium,
            Some("debian"),
            Some("bookworm-slim")
        )
    );
}

fn provenance(materials: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {"materials": materials},
    }))
    .unwrap()
}

#[test]
fn provenance_materials_name_the_base_without_the_frontend() {
    let hex = "a".repeat(64);
    let statement = provenance(serde_json::json!([
        {"uri": "pkg:docker/docker/dockerfile@1", "digest": {"sha256": "b".repeat(64)}},
        {"uri": "pkg:docker/docker.io/library/alpine@3.19?platform=linux%2Famd64", "digest": {"sha256": hex}},
    ]));
    let history = Vec::new();
    let found = detect(&bare(&history, Some(&statement), None, Some(1)), None).unwrap();
    assert_eq!(
        (
            found.evidence,
            found.confidence,
            found.name.as_deref(),
            found.tag.as_deref(),
            found.digest
        ),
        (
            BaseEvidence::Provenance,
            BaseConfidence::High,
            Some("docker.io/library/alpine"),
            Some("3.19"),
            Some(format!("sha256:{hex}"))
        )
    );
    assert_eq!(found.layers, Some(1));

    // Two images (a multi-stage build): the Dockerfile's final stage tells which.
    let two = provenance(serde_json::json!([
        {"uri": "pkg:docker/golang@1.22", "digest": {"sha256": "c".repeat(64)}},
        {"uri": "pkg:docker/debian@12-slim", "digest": {"sha256": "e".repeat(64)}},
    ]));
    let file = drydock_dockerfile::parse(
        "FROM golang:1.22 AS build\nRUN go build\nFROM debian:12-slim\nCOPY --from=build /x /x\n",
    )
    .unwrap();
    let with = |dockerfile| detect(&bare(&history, Some(&two), dockerfile, None), None).unwrap();
    let found = with(Some(&file));
    assert_eq!(
        (found.evidence, found.name.as_deref()),
        (BaseEvidence::Provenance, Some("debian"))
    );
    // Without it, provenance cannot tell, says so, and nothing else names a base.
    let found = detect(&bare(&history, Some(&two), None, None), None);
    assert!(found.is_none());
}

#[test]
fn the_dockerfile_final_stage_resolves_args_and_stage_names() {
    let file = drydock_dockerfile::parse(
        "ARG VERSION=3.19\nARG REGISTRY=quay.io\nFROM ${REGISTRY}/org/alpine:${VERSION} AS base\nRUN apk add curl\nFROM base\nCOPY . /app\n",
    )
    .unwrap();
    let history = Vec::new();
    let found = detect(&bare(&history, None, Some(&file), Some(3)), None).unwrap();
    assert_eq!(
        (
            found.evidence,
            found.confidence,
            found.name.as_deref(),
            found.tag.as_deref(),
            found.layers
        ),
        (
            BaseEvidence::Dockerfile,
            BaseConfidence::Medium,
            Some("quay.io/org/alpine"),
            Some("3.19"),
            Some(3)
        )
    );
    // FROM scratch names no base.
    let scratch = drydock_dockerfile::parse("FROM scratch\nCOPY app /app\n").unwrap();
    let found = detect(&bare(&history, None, Some(&scratch), None), None);
    assert!(found.is_none());
}

fn h(created_by: &str, empty: bool) -> HistoryEntry {
    HistoryEntry {
        created_by: Some(created_by.to_string()),
        empty_layer: empty,
        layer: None,
    }
}

#[test]
fn the_history_heuristic_ends_the_base_at_its_last_cmd_before_own_layers() {
    // As `docker history` shows debian:12 with an application on top.
    let history = vec![
        h("/bin/sh -c #(nop) ADD file:abc in / ", false),
        h("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
        h("/bin/sh -c apt-get update && apt-get install -y curl", false),
        h("COPY app /app # buildkit", false),
        h("CMD [\"/app/run\"]", true),
    ];
    assert_eq!(history_base_layers(&history), Some(1));
    // A base of bases: the last CMD that own layers follow counts.
    let deeper = vec![
        h("ADD rootfs /", false),
        h("CMD [\"bash\"]", true),
        h("RUN apt-get install -y python3", false),
        h("ENTRYPOINT [\"python3\"]", true),
        h("COPY app.py /", false),
    ];
    assert_eq!(history_base_layers(&deeper), Some(2));
    // No CMD before own layers: unknown, not 0.
    assert_eq!(
        history_base_layers(&[h("ADD rootfs /", false), h("CMD [\"sh\"]", true)]),
        None
    );
    let found = detect(&bare(&history, None, None, None), None).unwrap();
    assert_eq!(
        (found.evidence, found.confidence, found.name, found.layers),
        (BaseEvidence::History, BaseConfidence::Low, None, Some(1))
    );
}

#[test]
fn a_docker_archive_is_indexed_under_its_saved_tag_and_recognised() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("base.tar");
    base_image("saved").write_docker_archive(&archive);
    let app_dir = tmp.path().join("app");
    on(base_image("saved"), "app").write_oci_dir(&app_dir);
    let mut index = BaseIndex::default();
    let reference = format!("docker-archive:{}", archive.display());
    let (key, report) = index
        .update(
            &reference,
            None,
            &Platform::default(),
            &RegistryOptions::default(),
        )
        .unwrap();
    assert_eq!(report.added, vec!["latest".to_string()]);
    assert_eq!(index.repositories[&key].tags["latest"].current.chain_ids.len(), 2);
    let (_, again) = index
        .update(
            &reference,
            None,
            &Platform::default(),
            &RegistryOptions::default(),
        )
        .unwrap();
    assert_eq!(again.unchanged, vec!["latest".to_string()]);
    let app = open(&app_dir);
    let ids = diff_ids(&app);
    let found = detect(&evidence(&app, &ids), Some(&index)).unwrap();
    assert_eq!(
        (found.evidence, found.layers, found.name.as_deref()),
        (BaseEvidence::Layers, Some(2), Some(key.as_str()))
    );
    // Something that is no image source at all is a clear error.
    let err = index
        .update(
            "dir:/nonexistent-root",
            None,
            &Platform::default(),
            &RegistryOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, drydock_base::IndexError::Unindexable(r) if r == "dir:/nonexistent-root"),
        "{err}"
    );
}
