//! A desk of several nodes in this test process: each a real server on its
//! own port, all sharing one database and one Redis key prefix.

use lifeline_signaling::Config;

use super::{TestServer, redis};

pub struct Desk {
    pub nodes: Vec<TestServer>,
    pub prefix: String,
}

impl Desk {
    pub async fn start(nodes: usize) -> Self {
        Self::start_with(nodes, |_| {}).await
    }

    /// `nodes` nodes, each with the settings changed by `tweak`.
    pub async fn start_with(nodes: usize, tweak: impl Fn(&mut Config)) -> Self {
        let prefix = redis::fresh_desk();
        let first = TestServer::start_with(|config| {
            config.cluster = Some(redis::node(&prefix, "a"));
            tweak(config);
        })
        .await;
        let mut desk = Desk {
            nodes: vec![first],
            prefix,
        };
        for n in 1..nodes {
            let mut config = desk.nodes[0].config.clone();
            let name = char::from(b'a' + u8::try_from(n).unwrap()).to_string();
            config.cluster = Some(redis::node(&desk.prefix, &name));
            desk.nodes
                .push(TestServer::start_config(config, None).await);
        }
        desk
    }

    pub fn url(&self, node: usize) -> &str {
        &self.nodes[node].url
    }
}
