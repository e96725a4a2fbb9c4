//! A small HTTP(S) server on loopback for tests: each request is answered by
//! a handler that sees the request and how many came before it to that path.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The request target as sent (a path, or an absolute URL through a proxy).
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, lower-cased (the server matches paths in any case).
    pub fn path(&self) -> String {
        let t = self.target.to_ascii_lowercase();
        let t = match t.find("://") {
            Some(i) => t[i + 3..]
                .find('/')
                .map_or("/".into(), |j| t[i + 3 + j..].to_string()),
            None => t,
        };
        t.split('?').next().unwrap_or("").to_string()
    }
}

pub enum Reply {
    /// 200 with a Content-Length.
    Ok(Vec<u8>),
    /// Any status, extra headers, a body with a Content-Length.
    With(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// These bytes exactly, then the connection closes.
    Raw(Vec<u8>),
    /// Read the request, then say nothing for a long time.
    Stall,
}

pub type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// A plain HTTP server on 127.0.0.1; the handler gets each request and
    /// how many requests came before it.
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1", None, handler)
    }

    pub fn start_on(
        ip: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind((ip, 0)).expect("bind");
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (log2, stop2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(tcp) = conn else { continue };
                let (handler, log, tls) = (handler.clone(), log2.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                    match tls {
                        None => serve(tcp, &*handler, &log),
                        Some(config) => {
                            let conn = rustls::ServerConnection::new(config).unwrap();
                            serve(rustls::StreamOwned::new(conn, tcp), &*handler, &log)
                        }
                    }
                });
            }
        });
        Server { addr, log, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self, path: &str) -> usize {
        let path = path.to_ascii_lowercase();
        self.requests().iter().filter(|r| r.path() == path).count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Answer one request, then close the connection.
pub fn serve<S: Read + Write>(mut stream: S, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) if head.len() < 65536 => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let request = Request { target, headers };
    let seen = {
        let mut log = log.lock().unwrap();
        let seen = log.iter().filter(|r| r.path() == request.path()).count();
        log.push(request.clone());
        seen
    };
    let bytes = match handler(&request, seen) {
        Reply::Ok(body) => response(200, &[], &body),
        Reply::With(status, headers, body) => response(status, &headers, &body),
        Reply::Raw(bytes) => bytes,
        Reply::Stall => {
            std::thread::sleep(Duration::from_secs(8));
            return;
        }
    };
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
}

pub fn response(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Status\r\nConnection: close\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn not_found() -> Reply {
    Reply::With(404, vec![], b"<html><body>Not Found</body></html>".to_vec())
}
