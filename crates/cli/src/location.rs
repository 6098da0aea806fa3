//! Where drydock keeps its state: the cache directory, the advisory database in it, the
//! layer cache beside it. Every command that reads or writes them takes a [`DbLocation`].

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Clone)]
pub struct DbLocation {
    /// Cache directory holding the advisory database and the layer cache [default: $DRYDOCK_CACHE_DIR, else the XDG cache dir]
    #[arg(long, global = true)]
    pub cache_dir: Option<PathBuf>,
}

impl DbLocation {
    pub fn path(&self) -> PathBuf {
        drydock_vulndb::db_path(&drydock_vulndb::cache_dir(self.cache_dir.as_deref()))
    }
}

/// Where the layer cache lives: `layers/` in the cache directory.
pub fn layer_cache_root(db: &DbLocation) -> PathBuf {
    drydock_vulndb::cache_dir(db.cache_dir.as_deref()).join("layers")
}
