//! Compiles the small C shim over the system's libjpeg (libjpeg-turbo on Debian:
//! `libjpeg62-turbo-dev`) when its header is there. Without it the crate still builds and JPEGs
//! are decoded by the pure-Rust `jpeg-decoder` (slower, most of all on progressive JPEGs).

fn main() {
    println!("cargo::rerun-if-changed=csrc/jpeg.c");
    println!("cargo::rustc-check-cfg=cfg(system_libjpeg)");
    // Set to build (and test) the pure-Rust fallback on a machine that has the header.
    println!("cargo::rerun-if-env-changed=MOMENTIQUE_NO_SYSTEM_LIBJPEG");
    if std::env::var_os("MOMENTIQUE_NO_SYSTEM_LIBJPEG").is_some() {
        return;
    }
    match cc::Build::new()
        .file("csrc/jpeg.c")
        .cargo_warnings(false)
        .try_compile("momentique_jpeg")
    {
        Ok(()) => {
            println!("cargo::rustc-link-lib=jpeg");
            println!("cargo::rustc-cfg=system_libjpeg");
        }
        Err(error) => println!(
            "cargo::warning=libjpeg's header not found ({error}); JPEGs will be decoded by jpeg-decoder"
        ),
    }
}
