//! Links the system ISA-L when the `isal` feature asks for it: isal-sys with
//! `use-system-isal` leaves linking to the crate that uses it.
fn main() {
    if std::env::var_os("CARGO_FEATURE_ISAL").is_some() {
        println!("cargo:rustc-link-lib=isal");
    }
}
