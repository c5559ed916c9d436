//! A lean keep-alive HTTP/1.1 client for load benches, in the spirit of `wrk`: the benches run the
//! load on the same two cores as the server, so the client should take as little of them as it can.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Connection {
    stream: TcpStream,
    host: String,
    buffer: Vec<u8>,
}

/// A response: status and body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: std::net::SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection { stream, host: addr.to_string(), buffer: Vec::with_capacity(4096) })
    }

    /// `GET target` (path and query) on the open connection.
    pub async fn get(&mut self, target: &str) -> std::io::Result<Response> {
        let request = format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.stream.write_all(request.as_bytes()).await?;
        self.buffer.clear();
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head) = response.parse(&self.buffer).map_err(std::io::Error::other)? {
                let status = response.code.unwrap_or(0);
                let length = response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse::<usize>().ok())
                    .ok_or_else(|| std::io::Error::other("no Content-Length"))?;
                while self.buffer.len() < head + length {
                    self.read_more().await?;
                }
                return Ok(Response { status, body: self.buffer[head..head + length].to_vec() });
            }
            self.read_more().await?;
        }
    }

    async fn read_more(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}
