//! A small internet in network namespaces, and the real servers on it
//! (coturn, proxies), for the tests of real networks: the engine's
//! integration tests (`src-tauri/tests`) and the real apps' tests here.

pub mod coturn;
pub mod forward;
pub mod netns;
pub mod proxies;
pub mod wire;
