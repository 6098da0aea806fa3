//! What is wrong with advisory data or an archive index drydock could not read. Each variant
//! says what a reader would check first; the file or URL it was found in is carried by
//! [`crate::Error::Malformed`] around it.

/// Why one advisory file, archive or index could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Malformation {
    /// JSON that does not parse or does not have the record's shape.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// YAML that does not parse or does not have the record's shape (the parser's first line).
    #[error("{0}")]
    Yaml(String),
    /// Text that is not UTF-8.
    #[error("{0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    /// A RustSec advisory without its front matter.
    #[error("no ```toml block")]
    NoTomlBlock,
    /// A RustSec advisory's front matter that does not parse.
    #[error("{0}")]
    Toml(String),
    /// A RustSec version requirement that is not semver.
    #[error("unreadable version requirement {0:?}")]
    Requirement(String),
    /// A file past the size drydock reads.
    #[error("file too large")]
    FileTooLarge,
    /// An index past the size drydock reads.
    #[error("larger than {mib} MiB")]
    IndexTooLarge {
        /// The limit, in MiB.
        mib: u64,
    },
    /// A compressed index that expands past the size drydock reads.
    #[error("larger than {mib} MiB once decompressed")]
    DecompressedTooLarge {
        /// The limit, in MiB.
        mib: u64,
    },
    /// A compressed index whose stream is corrupt.
    #[error("cannot decompress: {0}")]
    Decompress(std::io::Error),
    /// An OSV dump that is not a zip archive.
    #[error("not a zip archive: {0}")]
    NotZip(zip::result::ZipError),
    /// A zip member that cannot be read.
    #[error("{0}")]
    ZipMember(zip::result::ZipError),
    /// A zip member whose bytes cannot be read.
    #[error("{0}")]
    ZipRead(std::io::Error),
    /// A directory with nothing drydock imports.
    #[error("no OSV records (.json, .yaml) or secdb files found")]
    NoRecords,
    /// A `Release` file without the fields that name its suite.
    #[error("not a Release file (no Suite or Codename field)")]
    NotRelease,
    /// A `Release` file from an archive that is neither Debian's nor Ubuntu's.
    #[error("Release names origin {0:?}, not Debian or Ubuntu")]
    Origin(Option<String>),
    /// A `Packages` stanza that names no package or version (counted from 1).
    #[error("stanza {0} has no Package or Version field")]
    Stanza(usize),
    /// An `APKINDEX.tar.gz` that is not a tar archive.
    #[error("not a tar archive: {0}")]
    NotTar(std::io::Error),
    /// A tar archive that ends or breaks mid-entry.
    #[error("corrupt tar archive: {0}")]
    CorruptTar(std::io::Error),
    /// The `APKINDEX` member cannot be read as text.
    #[error("APKINDEX: {0}")]
    ApkIndexText(std::io::Error),
    /// An `APKINDEX` entry that names no package or version (counted from 1).
    #[error("APKINDEX: entry {0} has no P: or V: line")]
    ApkIndexEntry(usize),
    /// An `APKINDEX.tar.gz` outside the folders that name its branch, repository and arch.
    #[error("expected BRANCH/REPOSITORY/ARCH/APKINDEX.tar.gz (v3.19/main/x86_64)")]
    ApkIndexPlace,
    /// A `Packages` index outside `dists/SUITE/COMPONENT/binary-ARCH/`.
    #[error("no parent folder")]
    PackagesPlace,
    /// A `Packages` index without its suite's `Release` file.
    #[error(
        "the suite's Release file is not beside it (dists/SUITE/Release): it names the distribution, suite and date"
    )]
    NoRelease,
    /// A `Release` file without any `Packages` index under it.
    #[error("no Packages index beside it (COMPONENT/binary-ARCH/Packages.xz): nothing to import")]
    NoPackagesIndex,
    /// A tar archive without an `APKINDEX` member.
    #[error("no APKINDEX member: not an Alpine index")]
    NoApkIndex,
}

impl Malformation {
    /// A YAML parser's error, by its first line: the rest repeats the input.
    pub(crate) fn yaml(e: impl std::fmt::Display) -> Self {
        Malformation::Yaml(e.to_string().lines().next().unwrap_or_default().to_string())
    }
}
