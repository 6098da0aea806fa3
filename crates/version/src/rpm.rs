//! RPM versions: `[epoch:]version[-release]`, each part compared with rpmvercmp (through the
//! `rpm-version` crate), `~` sorting before and `^` after the bare version.
//!
//! The epoch is an `Option`: an rpm header without an EPOCH tag is not the same as one with
//! epoch 0, and matching needs to know the difference. For ordering, absent counts as 0, as rpm
//! itself does.

use std::cmp::Ordering;

use crate::VersionError;

/// An rpm EVR: `[epoch:]version[-release]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmVersion {
    /// None when absent, which is not the same as 0 in a header.
    pub epoch: Option<u64>,
    /// The version.
    pub version: String,
    /// The release; empty when absent.
    pub release: String,
}

impl RpmVersion {
    /// Reads `[epoch:]version[-release]`.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(VersionError::new("rpm", input, "version string is empty"));
        }
        let (epoch, vr) = match s.split_once(':') {
            Some((e, rest)) => {
                let epoch = e
                    .parse::<u64>()
                    .map_err(|_| VersionError::new("rpm", input, "epoch is not a number"))?;
                (Some(epoch), rest)
            }
            None => (None, s),
        };
        let (version, release) = vr.rsplit_once('-').unwrap_or((vr, ""));
        if version.is_empty() {
            return Err(VersionError::new("rpm", input, "version part is empty"));
        }
        Ok(RpmVersion {
            epoch,
            version: version.to_string(),
            release: release.to_string(),
        })
    }

    fn evr(&self) -> rpm_version::Evr<'_> {
        use std::borrow::Cow;
        let epoch: Cow<'_, str> = Cow::Owned(self.epoch.unwrap_or(0).to_string());
        rpm_version::Evr::new(
            epoch,
            Cow::Borrowed(self.version.as_str()),
            Cow::Borrowed(self.release.as_str()),
        )
    }
}

/// rpmvercmp on two bare version strings.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    rpm_version::Evr::new("0", a, "").cmp(&rpm_version::Evr::new("0", b, ""))
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.evr().cmp(&other.evr())
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A full NEVRA (`name-[epoch:]version-release[.arch]`), as found in advisories and rpm -qa.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nevra {
    /// The package name.
    pub name: String,
    /// Its epoch, version and release.
    pub evr: RpmVersion,
    /// Its architecture; empty when absent.
    pub arch: String,
}

/// Architectures recognised at the end of a release (`12.fc39.noarch`).
const ARCHES: &[&str] = &[
    "noarch",
    "src",
    "nosrc",
    "x86_64",
    "amd64",
    "i386",
    "i486",
    "i586",
    "i686",
    "athlon",
    "aarch64",
    "arm64",
    "armv7hl",
    "armv7l",
    "armv6hl",
    "armhfp",
    "ppc",
    "ppc64",
    "ppc64le",
    "ppc64p7",
    "s390",
    "s390x",
    "riscv",
    "riscv64",
    "ia64",
    "alpha",
    "sparc",
    "sparc64",
    "sparcv9",
    "mips",
    "mipsel",
    "mips64",
    "mips64el",
    "loongarch64",
];

impl Nevra {
    /// Reads `name-[epoch:]version-release[.arch]`.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        let (rest, arch) = match s.rsplit_once('.') {
            Some((r, a)) if ARCHES.contains(&a) => (r, a.to_string()),
            _ => (s, String::new()),
        };
        // name-version-release: the last two dashes split; with one dash there is no name.
        let mut parts = rest.rsplitn(3, '-');
        let release = parts.next().unwrap_or_default();
        let version = parts
            .next()
            .ok_or_else(|| VersionError::new("rpm", input, "no version-release"))?;
        let name = parts.next().unwrap_or_default();
        let evr = RpmVersion::parse(&format!("{version}-{release}"))?;
        Ok(Nevra {
            name: name.to_string(),
            evr,
            arch,
        })
    }
}

impl Ord for Nevra {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.evr.cmp(&other.evr))
            .then_with(|| self.arch.cmp(&other.arch))
    }
}

impl PartialOrd for Nevra {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
