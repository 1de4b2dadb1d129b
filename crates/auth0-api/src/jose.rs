//! Strict decoding shared by access tokens and DPoP proofs: base64url without padding and
//! JSON objects without duplicate members.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::Simd;
use base64::engine::general_purpose::NO_PAD;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Unpadded base64url: the `base64` crate's vectorized engine where the CPU has the
/// instructions (AVX2, NEON; detected once), its scalar engine otherwise. Both follow the
/// same strict configuration, so they accept and refuse exactly the same inputs.
static B64URL: LazyLock<Simd> = LazyLock::new(|| Simd::url_safe(NO_PAD));

/// Decodes unpadded base64url, refusing padding, other alphabets, whitespace and
/// non-canonical trailing bits.
pub(crate) fn b64_decode(input: &[u8]) -> Option<Vec<u8>> {
    // Into a buffer from `malloc`, then zeroed, rather than `Engine::decode`'s zeroed
    // allocation: glibc serves `calloc` outside its per-thread cache, so every token's
    // parts took the allocator's slow path (and freed into it).
    let mut out = Vec::with_capacity(base64::decoded_len_estimate(input.len()));
    B64URL.decode_vec(input, &mut out).ok()?;
    Some(out)
}

/// Room for a decoded JWS signature, owned by the caller (on its stack, or in its
/// future's state): an RSA-2048 signature (the common one) and every EC and EdDSA
/// signature fit; a longer one goes to the heap. An RSA signature is the size of the
/// bignums aws-lc allocates while checking it: taken from the allocator too, it made one
/// more chunk of that size live at once than glibc's per-thread cache holds, and every
/// check then took the allocator's slow path for some of them. Decoded in place, it is
/// not copied either (the caller's state is where it is read from).
pub(crate) struct SignatureBuf([u8; SignatureBuf::LEN]);

impl SignatureBuf {
    /// Room for the decoding of up to 352 base64url characters: RSA-2048 (342 characters)
    /// and ES512 (176). (The `base64` crate asks for its length estimate, a byte or two
    /// over the decoded length.)
    pub(crate) const LEN: usize = 264;

    /// An empty buffer.
    pub(crate) const fn new() -> Self {
        Self([0; Self::LEN])
    }

    /// Decodes a signature segment (unpadded base64url, strict as [`b64_decode`]): into
    /// this buffer when it fits, onto the heap when it does not.
    pub(crate) fn decode<'b>(&'b mut self, input: &[u8]) -> Option<Cow<'b, [u8]>> {
        if base64::decoded_len_estimate(input.len()) > Self::LEN {
            return b64_decode(input).map(Cow::Owned);
        }
        let len = B64URL.decode_slice(input, &mut self.0).ok()?;
        self.0.get(..len).map(Cow::Borrowed)
    }
}

/// Encodes unpadded base64url.
pub(crate) fn b64_encode(input: &[u8]) -> String {
    B64URL.encode(input)
}

/// Parses a JSON object, refusing duplicate member names at any depth, trailing data and
/// non-object documents.
pub(crate) fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de).ok()?;
    de.end().ok()?;
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A `serde_json::Value` seed that fails on duplicate object members.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate member"));
            }
        }
        Ok(Value::Object(out))
    }
}

/// Splits `token` at its first two dots: the header and payload (neither empty) and the
/// rest, which may hold more dots. (`memchr` searches a vector register's width at a time;
/// the rest, the signature and the longest part, is not searched: its strict base64url
/// decoding refuses a dot.)
pub(crate) fn split_at_two_dots(token: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let (header, rest) = token.split_at_checked(memchr::memchr(b'.', token)?)?;
    let rest = rest.get(1..)?;
    let (payload, rest) = rest.split_at_checked(memchr::memchr(b'.', rest)?)?;
    let signature = rest.get(1..)?;
    if header.is_empty() || payload.is_empty() {
        return None;
    }
    Some((header, payload, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(b64_decode(b"aGk").as_deref(), Some(&b"hi"[..]));
        assert!(b64_decode(b"aGk=").is_none(), "padding");
        assert!(b64_decode(b"aG+k").is_none(), "standard alphabet");
        assert!(b64_decode(b"aG/k").is_none(), "standard alphabet");
        assert!(b64_decode(b"aG k").is_none(), "whitespace");
        assert!(b64_decode(b"aGl").is_none(), "non-canonical trailing bits");
        assert!(b64_decode(b"a").is_none(), "impossible length");
        assert_eq!(b64_decode(b"").as_deref(), Some(&b""[..]));
        assert_eq!(b64_encode(b"\xfb\xff"), "-_8");
    }

    /// The scalar engine with the same strict configuration: the reference the vectorized
    /// one must match byte for byte, acceptance and refusal alike.
    fn scalar(input: &[u8]) -> Option<Vec<u8>> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(input)
            .ok()
    }

    #[test]
    fn the_vectorized_engine_is_the_one_in_use_where_the_cpu_has_it() {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            assert!(format!("{:?}", *B64URL).contains("Avx2"), "{:?}", *B64URL);
        }
        // Wherever it runs, the engine is the strict unpadded one.
        assert!(!base64::engine::Config::encode_padding(B64URL.config()));
    }

    #[test]
    fn every_byte_anywhere_in_a_long_input_decodes_as_the_scalar_engine_decodes() {
        // Lengths around the vector blocks (32 input bytes) and their scalar tails.
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        for len in (0..=300).step_by(7).chain([95, 96, 97, 191, 192, 193]) {
            let valid = b64_encode(&data[..len]).into_bytes();
            assert_eq!(b64_decode(&valid).as_deref(), Some(&data[..len]));
            for at in 0..valid.len() {
                for byte in 0..=255u8 {
                    let mut input = valid.clone();
                    input[at] = byte;
                    assert_eq!(
                        b64_decode(&input),
                        scalar(&input),
                        "length {len}, byte {byte:#04x} at {at}"
                    );
                }
            }
            // Padding, and a stray byte appended, are refused as the scalar engine refuses.
            for tail in [&b"="[..], b"==", b"A", b"AA", b"AAA", b"\0"] {
                let mut input = valid.clone();
                input.extend_from_slice(tail);
                assert_eq!(b64_decode(&input), scalar(&input), "{len} + {tail:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_decodes_as_the_scalar_engine_decodes(
            input in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => proptest::sample::select(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                            .to_vec()),
                    1 => proptest::num::u8::ANY,
                ],
                0..400,
            )
        ) {
            proptest::prop_assert_eq!(b64_decode(&input), scalar(&input));
        }

        #[test]
        fn any_bytes_round_trip(data in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let encoded = b64_encode(&data);
            proptest::prop_assert_eq!(
                &encoded,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&data)
            );
            proptest::prop_assert_eq!(b64_decode(encoded.as_bytes()), Some(data));
        }
    }

    #[test]
    fn json_objects_are_strict() {
        assert!(parse_object(br#"{"a":1,"b":{"c":[1,2]}}"#).is_some());
        assert!(parse_object(br#"{"a":1,"a":2}"#).is_none(), "duplicate");
        assert!(
            parse_object(br#"{"a":{"b":1,"b":1}}"#).is_none(),
            "nested duplicate"
        );
        assert!(
            parse_object(br#"{"a":[{"b":1,"b":1}]}"#).is_none(),
            "duplicate in array"
        );
        assert!(parse_object(br#"{"a":1}x"#).is_none(), "trailing garbage");
        assert!(parse_object(br#"{"a":1}{}"#).is_none(), "two documents");
        assert!(parse_object(br#"[1]"#).is_none(), "not an object");
        assert!(parse_object(br#""s""#).is_none());
        assert!(parse_object(b"{\"a\":\"\xff\"}").is_none(), "invalid utf-8");
        assert!(parse_object(b"").is_none());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            parse_object(format!("{{\"a\":{deep}}}").as_bytes()).is_none(),
            "depth"
        );
    }

    /// [`split_at_two_dots`] of a text (split at ASCII dots, its parts are text too).
    fn split(token: &str) -> Option<(&str, &str, &str)> {
        let text = |b| std::str::from_utf8(b).expect("split at dots");
        split_at_two_dots(token.as_bytes()).map(|(h, p, r)| (text(h), text(p), text(r)))
    }

    #[test]
    fn compact_split() {
        assert_eq!(split("a.b.c"), Some(("a", "b", "c")));
        assert_eq!(split("a.b."), Some(("a", "b", "")));
        // The rest is not searched: its decoding refuses the dot.
        assert_eq!(split("a.b.c.d"), Some(("a", "b", "c.d")));
        assert!(split("a.b").is_none());
        assert!(split(".b.c").is_none());
        assert!(split("a..c").is_none());
        assert!(split("..").is_none());
        assert!(split("").is_none());
        assert!(split("abc").is_none());
        assert_eq!(split("é.ü.ß"), Some(("é", "ü", "ß")));
    }

    #[test]
    fn signatures_decode_in_place_or_on_the_heap_exactly_as_base64url() {
        // Every length around the buffer's (RSA-2048: 256 bytes), and the common ones.
        for len in (0..=80).chain(250..=270).chain([384, 512, 1024]) {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let text = b64_encode(&bytes);
            let mut buf = SignatureBuf::new();
            let sig = buf.decode(text.as_bytes()).expect("valid base64url");
            assert_eq!(&*sig, &bytes[..], "{len} bytes");
            let in_place = matches!(sig, Cow::Borrowed(_));
            assert!(len > 256 || in_place, "{len} bytes on the heap");
            assert!(
                len <= SignatureBuf::LEN || !in_place,
                "{len} bytes in place"
            );
            // Whatever the length, the same strictness as `b64_decode`.
            for bad in [
                format!("{text}="),
                format!("{text}."),
                format!("{text}+"),
                format!("{text}A"),
                format!(" {text}"),
            ] {
                assert_eq!(
                    SignatureBuf::new()
                        .decode(bad.as_bytes())
                        .map(Cow::into_owned),
                    b64_decode(bad.as_bytes()),
                    "{bad}"
                );
            }
        }
        // Non-canonical trailing bits.
        assert!(SignatureBuf::new().decode(b"aGl").is_none());
        assert!(b64_decode(b"aGl").is_none());
    }

    proptest::proptest! {
        /// Any text decodes as a signature exactly as `b64_decode` decodes it.
        #[test]
        fn a_signature_decodes_as_base64url(
            text in proptest::prop_oneof![
                // The alphabet only: every length, canonical trailing bits or not.
                "[A-Za-z0-9_-]{0,720}",
                // With characters of other alphabets, padding, dots and spaces.
                "[A-Za-z0-9_=+/. -]{0,720}",
            ]
        ) {
            proptest::prop_assert_eq!(
                SignatureBuf::new().decode(text.as_bytes()).map(Cow::into_owned),
                b64_decode(text.as_bytes())
            );
        }

        /// The parts around the first two dots, for any text.
        #[test]
        fn compact_split_is_a_split_at_the_first_two_dots(
            token in "[a.é]{0,80}"
        ) {
            let parts: Vec<&str> = token.splitn(3, '.').collect();
            let expected = match parts[..] {
                [h, p, s] if !h.is_empty() && !p.is_empty() => Some((h, p, s)),
                _ => None,
            };
            proptest::prop_assert_eq!(split(&token), expected);
        }
    }
}
