//! Base images: what an image was built `FROM`, and which base would serve it better.
//!
//! * [`detect`] weighs the evidence an image carries — provenance, base annotations, its layer
//!   ChainIDs against the [`index`], the Dockerfile, the history — and says which decided.
//! * [`index`] records repositories' tags (digest, platform, size, ChainIDs) from manifests and
//!   configs only, in the cache directory, so everything else works offline.
//! * [`tags`] reads tag families (`12.5-slim`, `bookworm`, `3.12-alpine3.20`, `latest`).
//! * [`rank`] picks candidates from the index and orders them by what they would remove.
//!
//! It sits beside the engine: it reads images through `source`, findings through `matcher`,
//! and never changes either.

pub mod chain;
pub mod detect;
pub mod index;
pub mod rank;
pub mod tags;

pub use detect::{ImageEvidence, detect, short};
pub use index::{BaseIndex, IndexError};
