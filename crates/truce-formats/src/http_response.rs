//! The body of an HTTP/1.1 response, as a feed that polls a document (readsb's `aircraft.json`) reads it:
//! the status line must say 200; the body is delimited by `Content-Length`, by chunked transfer coding
//! (RFC 9112 section 7.1), or by the end of the connection; every length is checked against what
//! arrived and against a cap, so a server that lies costs an error, never a panic or unbounded memory.

/// The body of a complete HTTP/1.1 response of status 200, at most `max` bytes.
///
/// # Errors
/// The status is not 200, the head is cut short or not text, a length or chunk size is not a number,
/// the body is shorter than announced, or longer than `max`.
pub fn body(raw: &[u8], max: usize) -> Result<Vec<u8>, String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("the response has no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the response headers are not text")?;
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split(' ').nth(1).unwrap_or_default();
    if code != "200" {
        return Err(format!("the server answered {status:?}"));
    }
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(body, max)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| format!("Content-Length {len:?} is not a number"))?;
        if body.len() < len {
            return Err(format!("the body ended after {} of its {len} bytes", body.len()));
        }
        body[..len].to_vec()
    } else {
        body.to_vec()
    };
    if body.len() > max {
        return Err(format!("a document of over {max} bytes"));
    }
    Ok(body)
}

/// Decodes a chunked body (RFC 9112 section 7.1).
fn dechunk(mut body: &[u8], max: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n").ok_or("a chunk size without its line end")?;
        let size_text = std::str::from_utf8(&body[..eol]).map_err(|_| "a chunk size is not text")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("chunk size {size_text:?} is not hex"))?;
        body = &body[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size.saturating_add(2) || out.len().saturating_add(size) > max {
            return Err("a chunk is cut short or the document is too large".into());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1 << 20;

    #[test]
    fn responses_with_a_length_chunked_or_to_the_end_give_their_body() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello world";
        assert_eq!(body(r, MAX).unwrap(), b"hello");
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n";
        assert_eq!(body(r, MAX).unwrap(), b"hello world");
        let r = b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n{\"now\":1}";
        assert_eq!(body(r, MAX).unwrap(), b"{\"now\":1}");
    }

    #[test]
    fn bad_responses_say_what_is_wrong() {
        assert_eq!(
            body(b"HTTP/1.1 404 Not Found\r\n\r\n", MAX).unwrap_err(),
            "the server answered \"HTTP/1.1 404 Not Found\""
        );
        assert_eq!(
            body(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", MAX).unwrap_err(),
            "the body ended after 3 of its 10 bytes"
        );
        assert_eq!(
            body(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", MAX).unwrap_err(),
            "chunk size \"zz\" is not hex"
        );
        assert!(body(b"HTTP/1.1 200 OK\r\n", MAX).is_err());
    }

    #[test]
    fn a_huge_chunk_size_is_an_error_not_an_overflow() {
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n";
        assert!(body(r, MAX).is_err());
        assert!(body(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 3).unwrap_err().contains("over 3 bytes"));
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = body(&raw, 64);
            let mut framed = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            framed.extend_from_slice(&raw);
            let _ = body(&framed, 64);
        }
    }
}
