use clap::{Args, Subcommand};

use crate::Failure;
use crate::db::DbLocation;
use crate::sbom::layer_cache_root;

#[derive(Args)]
pub struct CacheArgs {
    #[command(flatten)]
    location: DbLocation,
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Where the layer cache is, how many layers it holds and their size
    Status,
    /// Remove every cached layer (the advisory database stays)
    Clean,
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

pub fn run(args: CacheArgs) -> Result<u8, Failure> {
    let root = layer_cache_root(&args.location);
    match args.command {
        CacheCommand::Status => {
            let s = drydock_source::LayerCache::root_status(&root);
            crate::say!("layer cache: {}", root.display());
            crate::say!("layers:      {}", s.entries);
            crate::say!("size:        {}", mb(s.bytes));
        }
        CacheCommand::Clean => {
            let s = drydock_source::LayerCache::clean(&root)
                .map_err(|e| Failure::input(format!("{}: {e}", root.display())))?;
            crate::say!("removed {} cached layer(s), {}", s.entries, mb(s.bytes));
        }
    }
    Ok(0)
}
