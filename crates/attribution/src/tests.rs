use super::*;

/// History strings recorded from real images: classic Docker and buildah (`/bin/sh -c`,
/// `#(nop)`, `|N` build arguments), BuildKit (`# buildkit`, `RUN /bin/sh -c`), kaniko (the
/// instruction as written) and charliecloud (`/bin/ash -c #(nop)`).
#[test]
fn normalizes_every_builders_wrapping() {
    let cases = [
        (r#"/bin/sh -c #(nop)  CMD ["/hello"]"#, r#"CMD ["/hello"]"#),
        (
            "/bin/sh -c #(nop) COPY file:7bf12aab75c3867a023fe3b8bd6d113d43a4fcc415f3cc27cbcf0fff37b65a02 in / ",
            "COPY file:7bf12aab75c3867a023fe3b8bd6d113d43a4fcc415f3cc27cbcf0fff37b65a02 in /",
        ),
        (
            "/bin/sh -c #(nop) ADD file:31f0f7fb6b901307b3d575464f66e9aefce9cfc94db1cac4d6e9bc7a10e0f5a2 in / ",
            "ADD file:31f0f7fb6b901307b3d575464f66e9aefce9cfc94db1cac4d6e9bc7a10e0f5a2 in /",
        ),
        (
            "/bin/sh -c apt-get update && apt-get install -y curl",
            "RUN apt-get update && apt-get install -y curl",
        ),
        (
            "|1 PYREQ=idna==2.10 /bin/sh -c apt-get update  && apt-get install -y --no-install-recommends libyaml-0-2",
            "RUN apt-get update  && apt-get install -y --no-install-recommends libyaml-0-2",
        ),
        ("|2 A=1 B=x=y /bin/sh -c make", "RUN make"),
        ("/bin/sh -c #(nop) ARG PYREQ", "ARG PYREQ"),
        ("COPY hello / # buildkit", "COPY hello /"),
        ("RUN /bin/sh -c apt-get update # buildkit", "RUN apt-get update"),
        (
            "RUN |1 VERSION=1.2 /bin/sh -c echo $VERSION # buildkit",
            "RUN echo $VERSION",
        ),
        (r#"CMD ["/hello"]"#, r#"CMD ["/hello"]"#),
        (
            "RUN apk add --update     libc6-compat",
            "RUN apk add --update     libc6-compat",
        ),
        (
            "COPY --from=builder-dev /app/dist /app/dist",
            "COPY --from=builder-dev /app/dist /app/dist",
        ),
        (
            "/bin/ash -c #(nop)  VOLUME [/mnt/foo /mnt/bar]",
            "VOLUME [/mnt/foo /mnt/bar]",
        ),
        // Not a builder's wrapping: left alone.
        ("bazel build ...", "bazel build ..."),
        ("|x not an arg prefix", "|x not an arg prefix"),
    ];
    for (raw, want) in cases {
        assert_eq!(normalize(raw), want, "{raw}");
    }
    assert_eq!(keyword(&normalize("/bin/sh -c ls")), Some("RUN"));
    assert_eq!(keyword("bazel build ..."), None);
}

fn entry(created_by: &str, layer: Option<usize>) -> HistoryEntry {
    HistoryEntry {
        created_by: Some(created_by.to_string()),
        empty_layer: layer.is_none(),
        layer,
    }
}

/// The history buildah 1.28 wrote for `DOCKERFILE` on top of a two-layer base.
fn buildah_history() -> Vec<HistoryEntry> {
    vec![
        entry(
            "/bin/sh -c #(nop) ADD file:mmdebstrap-minbase-bookworm.tar in / ",
            Some(0),
        ),
        entry("/bin/sh -c apt-get update && apt-get install -y python3", Some(1)),
        entry("/bin/sh -c #(nop) ARG PYREQ", None),
        entry("/bin/sh -c #(nop) ENV APP_HOME=/app", None),
        entry("/bin/sh -c #(nop) LABEL org.example.team=platform", None),
        entry(
            "|1 PYREQ=jinja2==2.11.2 /bin/sh -c apt-get update  && apt-get install -y --no-install-recommends libyaml-0-2  && rm -rf /var/lib/apt/lists/*",
            Some(2),
        ),
        entry(
            "/bin/sh -c #(nop) COPY file:87c795a1e3e18049905e07b82affce1af157e2b015ba04257306df836f66869b in /app/hello.txt ",
            Some(3),
        ),
        entry(
            "/bin/sh -c #(nop) COPY file:ec725a48ac822d9c348a43eae372ade3ed28c509388104b983556c8bca20834a in /app/built.txt ",
            Some(4),
        ),
        entry(
            "|1 PYREQ=jinja2==2.11.2 /bin/sh -c pip install --no-cache-dir \"$PYREQ\"",
            Some(5),
        ),
        entry("/bin/sh -c #(nop) USER nobody", None),
        entry("/bin/sh -c #(nop) CMD [\"python3\"]", None),
    ]
}

const DOCKERFILE: &str = "ARG BASE=localhost/test/base:latest
FROM ${BASE} AS build
RUN echo built > /built.txt

FROM ${BASE}
ARG PYREQ=jinja2==2.11.2
ENV APP_HOME=/app
LABEL org.example.team=platform
RUN apt-get update \\
 && apt-get install -y --no-install-recommends libyaml-0-2 \\
 && rm -rf /var/lib/apt/lists/*
COPY hello.txt /app/hello.txt
COPY --from=build /built.txt /app/built.txt
RUN pip install --no-cache-dir \"$PYREQ\"
USER nobody
CMD [\"python3\"]
";

fn attribute_text(history: &[HistoryEntry], text: &str, layers: usize) -> Attribution {
    let file = drydock_dockerfile::parse(text).unwrap();
    let input = DockerfileInput {
        path: "Dockerfile",
        file: &file,
    };
    let refs: Vec<LayerRef> = (0..layers)
        .map(|i| LayerRef {
            digest: Some(format!("sha256:blob{i}")),
            diff_id: Some(format!("sha256:{i}")),
        })
        .collect();
    attribute(
        &ImageFacts {
            layers: &refs,
            history,
            provenance: None,
        },
        Some(&input),
    )
}

#[test]
fn aligns_each_layer_with_its_line() {
    let a = attribute_text(&buildah_history(), DOCKERFILE, 6);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(a.base_layers, Some(2));
    let lines: Vec<Option<(usize, usize)>> = a
        .layers
        .iter()
        .map(|l| l.dockerfile.as_ref().map(|d| (d.line, d.end_line)))
        .collect();
    assert_eq!(
        lines,
        [
            None,
            None,
            Some((9, 11)),
            Some((12, 12)),
            Some((13, 13)),
            Some((14, 14))
        ]
    );
    assert_eq!(a.layers[0].base_image, Some(true));
    assert_eq!(a.layers[2].base_image, Some(false));
    assert_eq!(a.layers[2].confidence, Confidence::Aligned);
    assert_eq!(a.layers[1].confidence, Confidence::History);
    let copy = a.layers[4].dockerfile.as_ref().unwrap();
    assert_eq!(copy.from_stage.as_deref(), Some("build"));
    assert_eq!(copy.instruction, "COPY --from=build /built.txt /app/built.txt");
    assert_eq!(
        a.layers[2].dockerfile.as_ref().unwrap().instruction,
        "RUN apt-get update && apt-get install -y --no-install-recommends libyaml-0-2 && rm -rf /var/lib/apt/lists/*"
    );
}

#[test]
fn instructions_a_builder_does_not_record_do_not_shift_the_alignment() {
    // BuildKit records no ARG entry, and kaniko (before 1.20) no empty-layer entries at all.
    let history: Vec<HistoryEntry> = buildah_history()
        .into_iter()
        .filter(|h| h.layer.is_some())
        .collect();
    let a = attribute_text(&history, DOCKERFILE, 6);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(a.base_layers, Some(2));
    assert_eq!(a.layers[5].dockerfile.as_ref().map(|d| d.line), Some(14));
}

#[test]
fn a_dockerfile_that_does_not_match_says_so_and_falls_back() {
    let changed = DOCKERFILE.replace("pip install --no-cache-dir", "pip install --upgrade");
    let a = attribute_text(&buildah_history(), &changed, 6);
    assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
    assert!(a.warnings[0].contains("line 14"), "{}", a.warnings[0]);
    assert!(
        a.layers
            .iter()
            .all(|l| l.dockerfile.is_none() && l.base_image.is_none())
    );
    assert_eq!(a.layers[5].confidence, Confidence::History);
    assert_eq!(
        a.layers[5].created_by.as_deref(),
        Some("RUN pip install --no-cache-dir \"$PYREQ\"")
    );

    // More layer-creating instructions than the image has steps.
    let longer = DOCKERFILE.replace("USER nobody", "RUN true\nRUN false\nUSER nobody");
    assert!(!attribute_text(&buildah_history(), &longer, 6).warnings.is_empty());
}

#[test]
fn buildkit_history_with_heredoc_and_build_args() {
    let history = vec![
        entry("/bin/sh -c #(nop) ADD file:abc in / ", Some(0)),
        entry("/bin/sh -c #(nop)  CMD [\"bash\"]", None),
        entry("WORKDIR /src", None),
        entry(
            "RUN |1 VERSION=1.2 /bin/sh -c <<EOF (set -e...) # buildkit",
            Some(1),
        ),
        entry("COPY . . # buildkit", Some(2)),
        entry(
            "RUN |1 VERSION=1.2 /bin/sh -c make VERSION=$VERSION # buildkit",
            Some(3),
        ),
    ];
    let text = "FROM debian:12\nWORKDIR /src\nARG VERSION=1.2\nRUN <<EOF\nset -e\napt-get update\nEOF\nCOPY . .\nRUN make VERSION=$VERSION\n";
    let a = attribute_text(&history, text, 4);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    assert_eq!(a.base_layers, Some(1));
    let heredoc = a.layers[1].dockerfile.as_ref().unwrap();
    assert_eq!((heredoc.line, heredoc.end_line), (4, 7));
    assert_eq!(a.layers[3].dockerfile.as_ref().map(|d| d.line), Some(9));
}

#[test]
fn unpaired_history_keeps_layers_only() {
    let history = vec![entry("/bin/sh -c #(nop) ADD file:abc in / ", None)];
    let file = drydock_dockerfile::parse("FROM scratch\nCOPY a /a\n").unwrap();
    let input = DockerfileInput {
        path: "Dockerfile",
        file: &file,
    };
    let refs = [LayerRef::default(), LayerRef::default()];
    let a = attribute(
        &ImageFacts {
            layers: &refs,
            history: &history,
            provenance: None,
        },
        Some(&input),
    );
    assert_eq!(a.warnings.len(), 1);
    assert!(a.layers.iter().all(|l| l.confidence == Confidence::Layer));
}

/// A BuildKit SLSA v0.2 statement (mode=max) as its documented types lay it out: `layers` maps
/// `stepN:0` to layer chains, `source.locations` maps `stepN` to Dockerfile ranges.
fn statement(dockerfile: &str, steps: &[(&str, &[&str], usize, usize)], v1: bool) -> Vec<u8> {
    use base64::Engine as _;
    let mut layers = serde_json::Map::new();
    let mut locations = serde_json::Map::new();
    for (step, chain, start, end) in steps {
        let chain: Vec<serde_json::Value> = chain
            .iter()
            .map(|d| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 1}))
            .collect();
        layers.insert(format!("{step}:0"), serde_json::json!([chain]));
        locations.insert(
            step.to_string(),
            serde_json::json!({"locations": [{"ranges": [{"start": {"line": start}, "end": {"line": end}}]}]}),
        );
    }
    let metadata = serde_json::json!({
        "https://mobyproject.org/buildkit@v1#metadata": {
            "source": {
                "locations": locations,
                "infos": [{"filename": "build/Dockerfile", "language": "Dockerfile",
                           "data": base64::engine::general_purpose::STANDARD.encode(dockerfile)}]
            },
            "layers": layers
        }
    });
    let predicate = if v1 {
        serde_json::json!({"buildDefinition": {}, "runDetails": {"metadata": metadata}})
    } else {
        serde_json::json!({"buildType": "https://mobyproject.org/buildkit@v1", "metadata": metadata})
    };
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": predicate
    }))
    .unwrap()
}

#[test]
fn provenance_names_each_layers_step_exactly() {
    let dockerfile = "FROM debian:12\nRUN apt-get update \\\n && apt-get install -y curl\nCOPY app /app\n";
    for v1 in [false, true] {
        let stmt = statement(
            dockerfile,
            &[
                ("step0", &["sha256:base0", "sha256:base1"], 1, 1),
                ("step1", &["sha256:base0", "sha256:base1", "sha256:own2"], 2, 3),
                (
                    "step2",
                    &["sha256:base0", "sha256:base1", "sha256:own2", "sha256:own3"],
                    4,
                    4,
                ),
            ],
            v1,
        );
        let refs: Vec<LayerRef> = ["base0", "base1", "own2", "own3"]
            .iter()
            .map(|d| LayerRef {
                digest: Some(format!("sha256:{d}")),
                diff_id: None,
            })
            .collect();
        // The history is unusable here: provenance alone decides.
        let a = attribute(
            &ImageFacts {
                layers: &refs,
                history: &[],
                provenance: Some(&stmt),
            },
            None,
        );
        assert!(a.warnings.is_empty(), "{:?}", a.warnings);
        assert_eq!(a.base_layers, Some(2));
        type Row = (Option<bool>, Option<(usize, usize)>, Confidence);
        let got: Vec<Row> = a
            .layers
            .iter()
            .map(|l| {
                (
                    l.base_image,
                    l.dockerfile.as_ref().map(|d| (d.line, d.end_line)),
                    l.confidence,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some(true), None, Confidence::Layer),
                (Some(true), Some((1, 1)), Confidence::Provenance),
                (Some(false), Some((2, 3)), Confidence::Provenance),
                (Some(false), Some((4, 4)), Confidence::Provenance),
            ]
        );
        let run = a.layers[2].dockerfile.as_ref().unwrap();
        assert_eq!(run.path, "build/Dockerfile");
        assert_eq!(run.instruction, "RUN apt-get update && apt-get install -y curl");
    }
}

#[test]
fn unusable_provenance_is_a_warning() {
    let refs = [LayerRef::default()];
    for (stmt, why) in [
        (b"{".to_vec(), "not JSON"),
        (br#"{"predicate":{"metadata":{}}}"#.to_vec(), "mode=min"),
    ] {
        let a = attribute(
            &ImageFacts {
                layers: &refs,
                history: &[],
                provenance: Some(&stmt),
            },
            None,
        );
        assert_eq!(a.warnings.len(), 1);
        assert!(a.warnings[0].contains(why), "{}", a.warnings[0]);
    }
}
