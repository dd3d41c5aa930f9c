//! A TCP relay to stand between a node and its database.

use std::net::SocketAddr;

use tokio::task::JoinHandle;

/// A TCP relay to stand between a node and its database, so a test can cut
/// the database off as a network failure would.
pub struct TcpProxy {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> TcpProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tracked = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().expect("proxy lock").push(relay);
            }
        });
        TcpProxy {
            addr,
            task,
            connections,
        }
    }

    /// Closes the listener and every relayed connection.
    pub fn cut(&self) {
        self.task.abort();
        for relay in self.connections.lock().expect("proxy lock").drain(..) {
            relay.abort();
        }
    }
}
