//! Android's TLS trust needs the JVM: rustls-platform-verifier asks
//! Android's TrustManager through JNI, and must be handed the app's
//! `Context` before the first handshake, or it panics inside certificate
//! checks. Kotlin's `AndroidTls.init(context)` calls this native method.
//!
//! The entry point is compiled on every platform so that the JVM tests call
//! it for real; only the hand-over to the verifier is Android-only.

use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JClass, JObject};
use jni::refs::Reference;
use jni::{Env, EnvUnowned};

/// `org.pushseal.AndroidTls.nativeInit(Object context)`. Errors (and
/// panics, which `with_env` catches) reach Kotlin as a RuntimeException.
#[unsafe(no_mangle)]
pub extern "system" fn Java_org_pushseal_AndroidTls_nativeInit<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    context: JObject<'local>,
) {
    env.with_env(|env| {
        if context.is_null() {
            return Err(jni::errors::Error::NullPtr("Android Context"));
        }
        init(env, context)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}

#[cfg(target_os = "android")]
fn init(env: &mut Env<'_>, context: JObject<'_>) -> Result<(), jni::errors::Error> {
    rustls_platform_verifier::android::init_with_env(env, context)
}

/// Elsewhere the platform verifier needs no set-up.
#[cfg(not(target_os = "android"))]
fn init(_env: &mut Env<'_>, _context: JObject<'_>) -> Result<(), jni::errors::Error> {
    Ok(())
}
