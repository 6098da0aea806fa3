use clap::Args;

use crate::Failure;

#[derive(Args)]
pub struct VersionArgs {}

pub fn run(_args: VersionArgs) -> Result<u8, Failure> {
    Err(Failure::input("not yet"))
}
