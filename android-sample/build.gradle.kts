// A sketch of the sample's app module; it is not built in this repository
// (no Android SDK here; check/ compiles and tests the sources without it,
// see README.md). It expects the Gradle module made by
// scripts/package-aar.sh at ../target/android/pushseal-android, included
// from settings.gradle.kts:
//
//   include(":app", ":pushseal-android")
//   project(":app").projectDir = file("android-sample")
//   project(":pushseal-android").projectDir = file("target/android/pushseal-android")
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("com.google.gms.google-services") // reads google-services.json (not included)
}

android {
    namespace = "org.pushseal.sample"
    compileSdk = 35
    defaultConfig {
        applicationId = "org.pushseal.sample"
        minSdk = 24
        targetSdk = 35
        // The ABIs pushseal is built for.
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    implementation(project(":pushseal-android"))
    // The Kotlin half of rustls-platform-verifier (TLS trust through Android's
    // TrustManager). Its version must match the crate in Cargo.lock: follow the
    // crate README's "Gradle Setup" (a Maven repository plus a `cargo metadata`
    // lookup) and keep `org.rustls.platformverifier.**` in Proguard.
    implementation("rustls:rustls-platform-verifier")
    implementation(platform("com.google.firebase:firebase-bom:33.7.0"))
    implementation("com.google.firebase:firebase-messaging")
    implementation("androidx.core:core-ktx:1.15.0")
}
