//! A forward proxy for tests, on 127.0.0.1: plain HTTP requests in absolute
//! form and `CONNECT` tunnels, optionally demanding basic credentials. It
//! counts what crosses it, so a test can tell whether a client used it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine as _;

#[derive(Default)]
struct Shared {
    /// `METHOD target` of every request that crossed.
    seen: Mutex<Vec<String>>,
    /// `user:password` the proxy demands, if any.
    credentials: Mutex<Option<String>>,
    /// Connect every host name to 127.0.0.1 (test names such as `api.test`
    /// resolve nowhere else).
    loopback: Mutex<bool>,
}

pub struct Proxy {
    addr: std::net::SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let state = Arc::clone(&shared);
        // Accepts until the process ends; each test has its own proxy.
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        Proxy { addr, shared }
    }

    pub fn require_credentials(&self, user: &str, password: &str) -> &Self {
        *self.shared.credentials.lock().unwrap() = Some(format!("{user}:{password}"));
        self
    }

    /// Sends every request to 127.0.0.1, whatever host it names, so a
    /// client that bypassed the proxy fails and one that used it works.
    pub fn resolve_to_loopback(&self) -> &Self {
        *self.shared.loopback.lock().unwrap() = true;
        self
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What crossed, as `METHOD target`.
    pub fn seen(&self) -> Vec<String> {
        self.shared.seen.lock().unwrap().clone()
    }
}

fn serve(client: TcpStream, state: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            break;
        }
    }
    let request_line = head[0].trim_end().to_owned();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut client = client;
    if let Some(wanted) = state.credentials.lock().unwrap().clone() {
        let expected = format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD.encode(wanted)
        );
        let ok = head.iter().any(|h| {
            h.to_ascii_lowercase().starts_with("proxy-authorization:")
                && h.split_once(':')
                    .is_some_and(|(_, v)| v.trim().eq_ignore_ascii_case(&expected))
        });
        if !ok {
            client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            return Ok(());
        }
    }
    state
        .seen
        .lock()
        .unwrap()
        .push(format!("{method} {target}"));
    let loopback = *state.loopback.lock().unwrap();
    let connect = |host_port: &str| {
        if loopback {
            let port = host_port.rsplit(':').next().unwrap_or("80");
            TcpStream::connect(format!("127.0.0.1:{port}"))
        } else {
            TcpStream::connect(host_port)
        }
    };
    if method == "CONNECT" {
        let upstream = connect(target)?;
        client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
        return pipe(reader, client, upstream);
    }
    // Absolute form: http://host:port/path → origin form, to host:port.
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut upstream = connect(host)?;
    let version = request_line.rsplit(' ').next().unwrap_or("HTTP/1.1");
    write!(upstream, "{method} {path} {version}\r\n")?;
    for h in &head[1..] {
        if !h.to_ascii_lowercase().starts_with("proxy-") {
            upstream.write_all(h.as_bytes())?;
        }
    }
    pipe(reader, client, upstream)
}

/// Copies both ways until either side closes.
fn pipe(
    mut from_client: BufReader<TcpStream>,
    mut to_client: TcpStream,
    upstream: TcpStream,
) -> std::io::Result<()> {
    let mut up_read = upstream.try_clone()?;
    let mut up_write = upstream;
    let buffered = from_client.buffer().to_vec();
    up_write.write_all(&buffered)?;
    from_client.consume(buffered.len());
    let forward = thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from_client.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if up_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = up_write.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = forward.join();
    Ok(())
}
