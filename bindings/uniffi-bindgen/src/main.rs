//! A separate crate, so building the mobile library never compiles the
//! generator (and its template engine) in.
fn main() {
    uniffi::uniffi_bindgen_main()
}
