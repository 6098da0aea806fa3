//! drydock's one vocabulary of ecosystems.
//!
//! Every fact that ties a distribution, a package type, an OSV ecosystem and a version scheme
//! together lives here, and every other crate asks this one: the catalog (which distributions
//! it knows, which purl type a package gets), the advisory store (which ecosystems a record is
//! filed under, how names compare), the matcher (which ecosystems an installed package is
//! looked up in, with which version rules) and `db update` (what it fetches by default).
//!
//! * Adding a distribution is one row in [`DISTRIBUTIONS`].
//! * Adding an OSV ecosystem is one variant of [`Family`] with its name and scheme.
//!
//! Past parsing, an OSV ecosystem is an [`OsvEcosystem`], never a string: a name drydock does
//! not know is refused by [`OsvEcosystem::parse`], and the importer counts what it refused.

mod distro;
mod osv;
mod package;

pub use distro::{DISTRIBUTIONS, Distribution, distribution};
pub use osv::{Family, OsvEcosystem, UnknownEcosystem};
pub use package::PackageType;
