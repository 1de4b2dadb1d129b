//! Just enough DER to read RSA key components out of PKCS#1 and PKCS#8 documents.

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_SEQUENCE: u8 = 0x30;

/// Splits one tag-length-value off the front of `input`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(count);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    Some((tag, value, rest))
}

/// The contents of the SEQUENCE that makes up all of `input`.
fn sequence(input: &[u8]) -> Option<&[u8]> {
    match tlv(input)? {
        (TAG_SEQUENCE, body, []) => Some(body),
        _ => None,
    }
}

/// The unsigned big-endian values of the INTEGERs at the front of a SEQUENCE body,
/// without leading zero bytes, stopping at the first non-INTEGER.
fn integers(mut body: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((TAG_INTEGER, value, rest)) = tlv(body) {
        let mut v = value;
        while v.len() > 1 && v[0] == 0 {
            v = &v[1..];
        }
        out.push(v);
        body = rest;
    }
    out
}

/// `(n, e)` from a PKCS#1 `RSAPublicKey`.
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    match integers(sequence(der)?).as_slice() {
        [n, e] => Some((n.to_vec(), e.to_vec())),
        _ => None,
    }
}

/// `[n, e, d, p, q, dp, dq, qi]` from a PKCS#8 `PrivateKeyInfo` wrapping a PKCS#1
/// `RSAPrivateKey`.
pub(crate) fn rsa_private_key_from_pkcs8(der: &[u8]) -> Option<[Vec<u8>; 8]> {
    let body = sequence(der)?;
    let (tag, _version, rest) = tlv(body)?;
    if tag != TAG_INTEGER {
        return None;
    }
    let (tag, _algorithm, rest) = tlv(rest)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (tag, private_key, _) = tlv(rest)?;
    if tag != TAG_OCTET_STRING {
        return None;
    }
    match integers(sequence(private_key)?).as_slice() {
        [_version, n, e, d, p, q, dp, dq, qi, ..] => Some([
            n.to_vec(),
            e.to_vec(),
            d.to_vec(),
            p.to_vec(),
            q.to_vec(),
            dp.to_vec(),
            dq.to_vec(),
            qi.to_vec(),
        ]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        // SEQUENCE { INTEGER 0x00ff, INTEGER 3 }
        let der = [0x30, 0x07, 0x02, 0x02, 0x00, 0xff, 0x02, 0x01, 0x03];
        assert_eq!(rsa_public_key(&der), Some((vec![0xff], vec![0x03])));
        let mut long = vec![0x30, 0x81, 0x07];
        long.extend_from_slice(&der[2..]);
        assert_eq!(rsa_public_key(&long), Some((vec![0xff], vec![0x03])));
    }

    #[test]
    fn rejects_truncated_and_trailing_input() {
        assert_eq!(rsa_public_key(&[0x30, 0x07, 0x02]), None);
        assert_eq!(rsa_public_key(&[0x30, 0x03, 0x02, 0x01, 0x03, 0x00]), None);
        assert_eq!(rsa_public_key(&[]), None);
        assert_eq!(rsa_private_key_from_pkcs8(&[0x30, 0x00]), None);
    }
}
