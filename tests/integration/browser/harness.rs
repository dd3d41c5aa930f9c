//! The browser harness: Debian's Chromium, headless, driven through
//! WebDriver (chromedriver). Each page can be saved as a screenshot under
//! `target/screenshots/`. `Browser::start` is `None` (with a notice) when
//! chromedriver is missing, and panics under `CI=true`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::process::free_port;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn chromium_binary() -> &'static str {
    // Debian's /usr/bin/chromium is a wrapper script; the driver wants the program.
    if std::path::Path::new("/usr/lib/chromium/chromium").exists() {
        "/usr/lib/chromium/chromium"
    } else {
        "/usr/bin/chromium"
    }
}

impl Browser {
    /// Chromium asking for English pages.
    pub async fn start() -> Option<Browser> {
        Browser::start_in("en-US").await
    }

    /// Chromium whose `Accept-Language` asks for `language` (`fr-FR`).
    pub async fn start_in(language: &str) -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            crate::rig::skipped(
                "Chromium",
                &format!(
                    "no {CHROMEDRIVER}: apt install chromium chromium-driver, or run scripts/test"
                ),
            );
            return None;
        }
        // WebDriver is plain HTTP on loopback, but the client's TLS stack
        // still wants a crypto provider chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_binary(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", format!("--lang={language}"), "--hide-scrollbars"],
                "prefs": { "intl.accept_languages": language },
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let connected = ClientBuilder::rustls()
                .expect("TLS roots")
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match connected {
                Ok(client) => return Some(Browser { client, driver }),
                Err(e) if Instant::now() > deadline => panic!("cannot drive Chromium: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        self.screenshot_into(&dir, name).await;
    }

    /// Saves the page as `DIR/NAME.png`.
    pub async fn screenshot_into(&self, dir: &std::path::Path, name: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Clicks an element; when `navigates`, waits for the next page.
    pub async fn click_and(&self, css: &str, navigates: bool) {
        if navigates {
            self.client
                .execute("window.__previousPage = true;", vec![])
                .await
                .unwrap();
        }
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
        if navigates {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let loaded = self
                    .client
                    .execute(
                        "return window.__previousPage === undefined && document.readyState === 'complete';",
                        vec![],
                    )
                    .await;
                if loaded.is_ok_and(|v| v == json!(true)) {
                    break;
                }
                assert!(Instant::now() < deadline, "no page after clicking {css}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Clicks a submit button and waits for the page it leads to.
    pub async fn click(&self, css: &str) {
        self.click_and(css, true).await;
    }

    pub async fn fill(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .send_keys(text)
            .await
            .unwrap();
    }

    pub async fn quit(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
