//! Container image sources for drydock.
//!
//! This crate turns a SOURCE (`docker-archive:`, `oci:`, `oci-archive:`, `dir:`, `docker://` or a
//! registry reference, or a bare path)
//! into an [`Image`] — manifest, config, history, layer descriptors — and streams each layer
//! exactly once to build a [`Filesystem`]: the merged tree (whiteouts and opaque directories
//! applied, the layer that last wrote every path) plus the bytes of the files detectors asked
//! for through [`Wants`]. Every blob digest and every diff_id is checked on the way.
//!
//! It knows nothing about packages or vulnerabilities.
//!
//! ```no_run
//! use drydock_source::{Image, Platform, SourceSpec, Wants};
//! let spec = SourceSpec::parse("oci:images/web:latest")?;
//! let mut image = Image::open(&spec, &Platform::default())?;
//! let mut wants = Wants::new();
//! wants.add("etc/os-release");
//! let fs = image.scan(&wants, &|_| {})?;
//! println!("{:?}", fs.read("etc/os-release").map(String::from_utf8_lossy));
//! # Ok::<(), drydock_source::Error>(())
//! ```

pub mod cache;
mod compression;
/// Digests: parsing, hashing while reading, the short form people read.
pub mod digest;
mod error;
mod extract;
mod fs;
mod image;
mod layer;
pub mod paths;
mod pool;
pub mod registry;
mod rootfs;
mod spec;
mod store;
mod wants;

pub use cache::{CacheStatus, LayerCache};
pub use compression::Compression;
pub use error::{Error, Result};
pub use extract::Extracted;
pub use fs::{Filesystem, LayerListing, Node, Revision};
pub use image::{HistoryEntry, Image, LayerInfo, Platform, Transport, layout_tags};
pub use layer::{Entry, NodeKind};
pub use paths::ImagePath;
pub use pool::Pool;
pub use registry::Registry;
pub use registry::{Credentials, Reference, RegistryOptions};
pub use spec::SourceSpec;
pub use wants::{Keep, Pattern, Probe, Skipped, Wants};

/// Reads one layer blob held in memory (gzip, zstd or plain tar) as a one-layer image: the
/// whole layer pass — decompression, tar walking, whiteouts, kept files, probes — without an
/// image around it. For tests and fuzzing.
pub fn scan_layer_bytes(blob: &[u8], wants: &Wants) -> Result<Filesystem> {
    let extra = std::collections::HashSet::new();
    let pool = Pool::new(wants.budget);
    let entries_left = std::sync::atomic::AtomicU64::new(wants.max_entries);
    let ctx = layer::LayerContext {
        index: 0,
        label: "layer",
        wants,
        extra: &extra,
        pool: Some(&pool),
        entries_left: Some(&entries_left),
    };
    let scan = layer::scan_blob(blob, &ctx, None)?;
    let mut fs = Filesystem::merge_keeping(vec![scan], wants.listings);
    fs.set_pool_left(pool.left());
    Ok(fs)
}
