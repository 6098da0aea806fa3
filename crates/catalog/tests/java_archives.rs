//! Java archives: synthesised ones (tier 1) and real ones from other scanners' tests (tier 2).

use std::collections::BTreeSet;
use std::io::Write;

use drydock_catalog::{PackageType, catalog, wants};
use drydock_source::{Image, Platform, SourceSpec};
use drydock_testkit::{Comp, ImageBuilder, LayerBuilder, shared_testdata};

fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, data) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

fn maven(source: &str) -> BTreeSet<(String, String, String, Option<usize>)> {
    let spec = SourceSpec::parse(source).unwrap();
    let mut image = Image::open(&spec, &Platform::default()).unwrap();
    let fs = image.scan(&wants(), &|_| {}).unwrap();
    catalog(&fs)
        .unwrap()
        .packages
        .into_iter()
        .filter(|p| p.ecosystem == PackageType::Maven)
        .map(|p| (p.name, p.version, p.locations[0].clone(), p.layer))
        .collect()
}

#[test]
fn fat_jar_with_nested_libraries_in_an_image() {
    let inner = jar(&[(
        "META-INF/maven/org.yaml/snakeyaml/pom.properties",
        b"groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n",
    )]);
    let no_metadata = jar(&[("com/example/Thing.class", b"\xca\xfe\xba\xbe")]);
    let app = jar(&[
        (
            "META-INF/maven/com.example/app/pom.properties",
            b"groupId=com.example\nartifactId=app\nversion=1.0.0\n",
        ),
        ("BOOT-INF/lib/snakeyaml-1.33.jar", &inner),
        ("BOOT-INF/lib/thing-2.1.jar", &no_metadata),
    ]);
    let dir = tempfile::tempdir().unwrap();
    ImageBuilder::new()
        .layer(
            LayerBuilder::new()
                .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
                .finish(),
            Comp::Gzip,
            "base",
        )
        .layer(
            LayerBuilder::new().file("srv/app.jar", &app).finish(),
            Comp::Gzip,
            "COPY app.jar /srv/",
        )
        .write_oci_dir(dir.path());
    let got = maven(&format!("oci:{}", dir.path().display()));
    let want: BTreeSet<(String, String, String, Option<usize>)> = [
        ("com.example:app", "1.0.0", "/srv/app.jar"),
        (
            "org.yaml:snakeyaml",
            "1.33",
            "/srv/app.jar!/BOOT-INF/lib/snakeyaml-1.33.jar",
        ),
        ("thing", "2.1", "/srv/app.jar!/BOOT-INF/lib/thing-2.1.jar"),
    ]
    .iter()
    .map(|(n, v, l)| (n.to_string(), v.to_string(), l.to_string(), Some(1)))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn real_archives() {
    let Some(data) = shared_testdata() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::copy(
        data.join("pkgdb/java/trivy-test.jar/test.jar"),
        dir.path().join("app/test.jar"),
    )
    .unwrap();
    std::fs::copy(
        data.join("pkgdb/java/trivy-test.par/test.par"),
        dir.path().join("app/test.par"),
    )
    .unwrap();
    let got = maven(&format!("dir:{}", dir.path().display()));
    // The expectations are Trivy's for these two files (aquasecurity/trivy,
    // pkg/fanal/analyzer/language/java/jar/jar_test.go), which names test.jar by looking its
    // SHA-1 up in Maven Central's index: org.apache.tomcat.embed, not the `org.apache` its
    // OSGi symbolic name suggests. drydock finds the group offline, in the jar's
    // META-INF/native-image/ folder.
    let want: BTreeSet<(String, String, String, Option<usize>)> = [
        (
            "org.apache.tomcat.embed:tomcat-embed-websocket",
            "9.0.65",
            "/app/test.jar",
        ),
        ("com.example:par-app", "3.0.0", "/app/test.par"),
        (
            "com.fasterxml.jackson.core:jackson-core",
            "2.9.10",
            "/app/test.par!/lib/jackson-core-2.9.10.jar",
        ),
    ]
    .iter()
    .map(|(n, v, l)| (n.to_string(), v.to_string(), l.to_string(), Some(0)))
    .collect();
    assert_eq!(got, want);
}

/// The real archives read as they stream by give what their central directories give.
#[test]
fn real_archives_stream_as_they_read_whole() {
    let Some(data) = shared_testdata() else { return };
    for rel in [
        "pkgdb/java/trivy-test.jar/test.jar",
        "pkgdb/java/trivy-test.par/test.par",
    ] {
        let bytes = std::fs::read(data.join(rel)).unwrap();
        let pool = drydock_source::Pool::new(1 << 30);
        let whole =
            drydock_catalog::java::probe_archive(rel, bytes.len() as u64, &mut &bytes[..], &pool).unwrap();
        assert_eq!(pool.left(), 1 << 30, "what the read held is given back");
        let mut streamed = Vec::new();
        let mut budget = drydock_catalog::java::Budget::default();
        drydock_catalog::java::stream_archive(&mut &bytes[..], rel, &mut budget, &mut streamed).unwrap();
        assert_eq!(budget.exhausted, None, "{rel}");
        assert!(!whole.artifacts.is_empty(), "{rel}");
        assert_eq!(streamed, whole.artifacts, "{rel}");
    }
}
