//! Times one RSA-OAEP (SHA-256) decryption of a room-key JWK with each
//! candidate implementation, on the same 2048-bit key and ciphertext.
//! The key is made once by OpenSSL and kept in the temp directory, so that
//! callgrind runs (`MODE N` minus `setup N`) see the same key.
//!
//! Usage: rsa-peers (rsa09-blinded|rsa09-plain|rsa10|openssl|aws-lc|setup) N

use std::hint::black_box;
use std::time::Instant;

use openssl::encrypt::{Decrypter, Encrypter};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};

const JWK: &[u8] = br#"{"alg":"A256GCM","ext":true,"k":"qb8OiE5kLtQk7u2CU7hk0Yv2tzkbNshFxFUj4SAdM5c","key_ops":["encrypt","decrypt"],"kty":"oct"}"#;

fn key() -> Rsa<Private> {
    let path = std::env::temp_dir().join("pushseal-rsa-peers-key.der");
    if let Ok(der) = std::fs::read(&path) {
        return Rsa::private_key_from_der(&der).expect("stored key");
    }
    let key = Rsa::generate(2048).expect("keygen");
    std::fs::write(&path, key.private_key_to_der().expect("der")).expect("write key");
    key
}

fn oaep(pkey: &PKey<Private>, decrypt: bool) -> (Option<Encrypter<'_>>, Option<Decrypter<'_>>) {
    if decrypt {
        let mut d = Decrypter::new(pkey).expect("decrypter");
        d.set_rsa_padding(Padding::PKCS1_OAEP).expect("pad");
        d.set_rsa_oaep_md(MessageDigest::sha256()).expect("md");
        d.set_rsa_mgf1_md(MessageDigest::sha256()).expect("mgf");
        (None, Some(d))
    } else {
        let mut e = Encrypter::new(pkey).expect("encrypter");
        e.set_rsa_padding(Padding::PKCS1_OAEP).expect("pad");
        e.set_rsa_oaep_md(MessageDigest::sha256()).expect("md");
        e.set_rsa_mgf1_md(MessageDigest::sha256()).expect("mgf");
        (Some(e), None)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("setup", String::as_str).to_owned();
    let n: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let rsa = key();
    let pkey = PKey::from_rsa(rsa.clone()).expect("pkey");
    let (Some(enc), _) = oaep(&pkey, false) else {
        unreachable!()
    };
    let mut ct = vec![0u8; enc.encrypt_len(JWK).expect("len")];
    let len = enc.encrypt(JWK, &mut ct).expect("encrypt");
    ct.truncate(len);
    let bytes = |x: &openssl::bn::BigNumRef| x.to_vec();
    let (n_, e, d, p, q) = (
        bytes(rsa.n()),
        bytes(rsa.e()),
        bytes(rsa.d()),
        bytes(rsa.p().expect("p")),
        bytes(rsa.q().expect("q")),
    );
    let k09 = {
        use rsa09::BigUint;
        let b = |x: &[u8]| BigUint::from_bytes_be(x);
        rsa09::RsaPrivateKey::from_components(b(&n_), b(&e), b(&d), vec![b(&p), b(&q)])
            .expect("rsa 0.9 key")
    };
    let k10 = {
        use rsa10::BoxedUint;
        let b = |x: &[u8], bits: u32| BoxedUint::from_be_slice(x, bits).expect("uint");
        rsa10::PrivateKey::from_components(
            b(&n_, 2048),
            b(&e, 64),
            b(&d, 2048),
            vec![b(&p, 1024), b(&q, 1024)],
        )
        .expect("rsa 0.10 key")
    };
    #[cfg(feature = "aws-lc")]
    let aws = {
        use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
        let der = pkey.private_key_to_pkcs8().expect("pkcs8");
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&der).expect("aws key"))
            .expect("oaep key")
    };
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..n {
        let out: Vec<u8> = match mode.as_str() {
            "rsa09-blinded" => k09
                .decrypt_blinded(
                    &mut rand_core06::OsRng,
                    rsa09::Oaep::new::<sha2_10::Sha256>(),
                    black_box(&ct),
                )
                .expect("decrypt"),
            "rsa09-plain" => k09
                .decrypt(rsa09::Oaep::new::<sha2_10::Sha256>(), black_box(&ct))
                .expect("decrypt"),
            "rsa10" => k10
                .decrypt(rsa10::Oaep::<sha2_11::Sha256>::new(), black_box(&ct))
                .expect("decrypt"),
            "openssl" => {
                let (_, Some(dec)) = oaep(&pkey, true) else {
                    unreachable!()
                };
                let mut out = vec![0u8; dec.decrypt_len(&ct).expect("len")];
                let len = dec.decrypt(black_box(&ct), &mut out).expect("decrypt");
                out.truncate(len);
                out
            }
            #[cfg(feature = "aws-lc")]
            "aws-lc" => {
                let mut out = vec![0u8; 256];
                let m = aws
                    .decrypt(
                        &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                        black_box(&ct),
                        &mut out,
                        None,
                    )
                    .expect("decrypt");
                m.to_vec()
            }
            "setup" => JWK.to_vec(),
            other => panic!("unknown mode {other}"),
        };
        assert_eq!(out, JWK);
        sink += out.len();
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    println!("{mode} n={n} us_per_op={us:.1} sink={sink}");
}
