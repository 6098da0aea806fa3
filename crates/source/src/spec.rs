//! Parsing a SOURCE argument. Transport names follow containers-transports(5), so
//! `docker-archive:`, `oci:`, `oci-archive:` and `dir:` mean what skopeo and podman users expect.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What a SOURCE names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A `docker save` archive.
    DockerArchive {
        /// The file.
        path: PathBuf,
        /// `:TAG` or `:@N`, when given.
        reference: Option<String>,
    },
    /// An OCI layout directory.
    OciDir {
        /// The folder.
        path: PathBuf,
        /// The tag to pick, when given.
        tag: Option<String>,
    },
    /// An OCI layout in a tar.
    OciArchive {
        /// The file.
        path: PathBuf,
        /// The tag to pick, when given.
        tag: Option<String>,
    },
    /// A plain root filesystem.
    RootFs {
        /// The folder.
        path: PathBuf,
    },
    /// `docker://REF` or a bare reference such as `alpine:3.19`.
    Registry {
        /// The reference.
        reference: crate::registry::Reference,
    },
}

impl SourceSpec {
    /// Reads a SOURCE, deciding what a bare path or name is.
    pub fn parse(input: &str) -> Result<Self> {
        if let Some((transport, rest)) = input.split_once(':') {
            match transport {
                "docker-archive" => {
                    let (path, reference) = split_ref(rest);
                    return Ok(SourceSpec::DockerArchive { path, reference });
                }
                "oci" => {
                    let (path, tag) = split_ref(rest);
                    return Ok(SourceSpec::OciDir { path, tag });
                }
                "oci-archive" => {
                    let (path, tag) = split_ref(rest);
                    return Ok(SourceSpec::OciArchive { path, tag });
                }
                "dir" | "rootfs" => {
                    return Ok(SourceSpec::RootFs {
                        path: PathBuf::from(rest),
                    });
                }
                "docker" if rest.starts_with("//") => {
                    let reference = crate::registry::Reference::parse(&rest[2..])?;
                    return Ok(SourceSpec::Registry { reference });
                }
                "docker" | "docker-daemon" | "containers-storage" => {
                    return Err(Error::Usage(format!(
                        "{transport}: sources are not supported in this build; save the image with `docker save` or `skopeo copy` and scan the archive"
                    )));
                }
                _ => {}
            }
        }
        detect(Path::new(input))
    }

    /// The local path it names (empty for a registry).
    pub fn path(&self) -> &Path {
        match self {
            SourceSpec::DockerArchive { path, .. }
            | SourceSpec::OciDir { path, .. }
            | SourceSpec::OciArchive { path, .. }
            | SourceSpec::RootFs { path } => path,
            SourceSpec::Registry { .. } => Path::new(""),
        }
    }
}

/// `PATH:REF` where PATH itself may contain colons: the reference is taken only when the whole
/// string is not an existing path.
fn split_ref(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    match rest.rsplit_once(':') {
        Some((path, reference)) if !reference.contains('/') && !path.is_empty() => {
            (PathBuf::from(path), Some(reference.to_string()))
        }
        _ => (PathBuf::from(rest), None),
    }
}

/// Whether a SOURCE that names nothing on disk was meant as a path: a typo'd `build/image` must
/// not quietly become the Docker Hub repository `build/image`. A bare reference is taken for a
/// registry image only with a tag or digest, a registry host (`ghcr.io/…`, `localhost:5000/…`),
/// or as a single name (`alpine`).
fn looks_like_a_path(text: &str) -> bool {
    const ARCHIVES: &[&str] = &[".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci", ".docker"];
    if ARCHIVES.iter().any(|ext| text.ends_with(ext)) {
        return true;
    }
    let Some((first, rest)) = text.split_once('/') else {
        return false;
    };
    let host = first.contains(['.', ':']) || first == "localhost";
    let pinned = rest.contains('@') || rest.rsplit('/').next().is_some_and(|last| last.contains(':'));
    !host && !pinned
}

/// A bare path: an OCI layout or a root filesystem if it is a directory; an archive otherwise,
/// told apart by its members once opened.
fn detect(path: &Path) -> Result<SourceSpec> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // Not a file here: a registry reference (`alpine:3.19`, `ghcr.io/org/app@sha256:…`).
        Err(e) => {
            let text = path.to_string_lossy();
            if e.kind() == std::io::ErrorKind::NotFound
                && crate::registry::Reference::looks_like(&text)
                && looks_like_a_path(&text)
            {
                return Err(Error::Usage(format!(
                    "{text}: no such file or directory (a registry image is written docker://{text} or with a tag)"
                )));
            }
            if e.kind() == std::io::ErrorKind::NotFound && crate::registry::Reference::looks_like(&text) {
                return Ok(SourceSpec::Registry {
                    reference: crate::registry::Reference::parse(&text)?,
                });
            }
            return Err(Error::io(path, e));
        }
    };
    if meta.is_dir() {
        if path.join("index.json").is_file() || path.join("oci-layout").is_file() {
            Ok(SourceSpec::OciDir {
                path: path.to_path_buf(),
                tag: None,
            })
        } else {
            Ok(SourceSpec::RootFs {
                path: path.to_path_buf(),
            })
        }
    } else {
        // The archive kind is settled when its member list is known (manifest.json or index.json).
        Ok(SourceSpec::DockerArchive {
            path: path.to_path_buf(),
            reference: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports() {
        assert_eq!(
            SourceSpec::parse("oci:/nonexistent/dir:v1").unwrap(),
            SourceSpec::OciDir {
                path: "/nonexistent/dir".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            SourceSpec::parse("dir:/").unwrap(),
            SourceSpec::RootFs { path: "/".into() }
        );
        assert!(matches!(
            SourceSpec::parse("/definitely/missing"),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn a_missing_path_is_an_error_not_a_docker_hub_reference() {
        for path in [
            "nonexistent-dir/image",
            "build/app.tar",
            "image.tar",
            "out/layout.oci",
        ] {
            let err = SourceSpec::parse(path).unwrap_err().to_string();
            assert!(
                err.contains("no such file or directory") && err.contains("docker://"),
                "{path}: {err}"
            );
        }
        for reference in [
            "alpine",
            "alpine:3.19",
            "library/alpine:3.19",
            "ghcr.io/org/app",
            "localhost:5000/app",
            "org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "docker://org/app",
        ] {
            assert!(
                matches!(SourceSpec::parse(reference), Ok(SourceSpec::Registry { .. })),
                "{reference}"
            );
        }
    }
}
