//! The one owner of what this run is held to: the mode and desk the launch
//! decided, and a "get help" link waiting for the user's word.

use std::sync::Mutex;

use serde::Serialize;

use super::brand::Brand;
use super::card::{self, CardError};
use super::desk_file::BadDeskFile;
use super::link::{HelpLink, LinkError};
use super::{DeskSource, Launch, LaunchDesk};
use crate::desk::proxy::Route;
use crate::settings::Mode;

#[derive(Debug, Default)]
struct Held {
    mode: Option<Mode>,
    desk: Option<LaunchDesk>,
    link: Option<Result<HelpLink, LinkError>>,
    /// The waiting link's desk, as it described itself over the pinned TLS.
    checked: Option<(HelpLink, Brand)>,
    bad_desk_file: Option<BadDeskFile>,
}

#[derive(Debug)]
pub struct HeldDesk {
    // A std Mutex: never held across an await.
    held: Mutex<Held>,
}

/// Why a link could not be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error("no link is waiting")]
    NoLink,
    #[error("the link's desk has not been checked yet")]
    NotChecked,
}

impl LaunchError {
    pub fn code(&self) -> &'static str {
        match self {
            LaunchError::Link(error) => error.code(),
            LaunchError::Card(error) => error.code(),
            LaunchError::NoLink => "link_none",
            LaunchError::NotChecked => "link_not_checked",
        }
    }
}

/// What the UI shows of the launch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchView {
    /// The mode this run is held to; the saved one when `None`.
    pub mode: Option<Mode>,
    pub desk: Option<DeskView>,
    pub link: Option<LinkView>,
    /// Why the desk file found cannot be used.
    pub bad_desk_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeskView {
    /// A branded desk's name and logo (`data:` URL).
    pub name: Option<String>,
    pub logo: Option<String>,
    /// The desk's web address.
    pub address: String,
    /// Its verification code, when its key is pinned.
    pub code: Option<String>,
    /// `file`, `command_line` or `link`; `file` names the file.
    pub source: &'static str,
    pub file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    pub desk: Option<String>,
    pub code: Option<String>,
    /// Why it was refused: `{code, message}`.
    pub error: Option<LinkProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkProblem {
    pub code: &'static str,
    pub message: String,
}

impl From<&LaunchDesk> for DeskView {
    fn from(desk: &LaunchDesk) -> Self {
        let (source, file) = match &desk.source {
            DeskSource::File(path) => ("file", Some(path.display().to_string())),
            DeskSource::CommandLine => ("command_line", None),
            DeskSource::Link => ("link", None),
        };
        Self {
            name: desk.brand.as_ref().map(|b| b.name.clone()),
            logo: desk.brand.as_ref().and_then(|b| b.logo.clone()),
            address: desk.address.to_string(),
            code: desk.pin.map(|pin| pin.to_string()),
            source,
            file,
        }
    }
}

impl HeldDesk {
    pub fn new(launch: Launch) -> Self {
        Self {
            held: Mutex::new(Held {
                mode: launch.mode,
                desk: launch.desk,
                link: launch.link,
                checked: None,
                bad_desk_file: launch.bad_desk_file,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn desk(&self) -> Option<LaunchDesk> {
        self.lock().desk.clone()
    }

    pub fn mode(&self) -> Option<Mode> {
        self.lock().mode
    }

    pub fn view(&self) -> LaunchView {
        let held = self.lock();
        LaunchView {
            mode: held.mode,
            desk: held.desk.as_ref().map(DeskView::from),
            link: held.link.as_ref().map(|link| match link {
                Ok(link) => LinkView {
                    desk: Some(link.desk.to_string()),
                    code: Some(link.pin.to_string()),
                    error: None,
                },
                Err(error) => LinkView {
                    desk: None,
                    code: None,
                    error: Some(LinkProblem {
                        code: error.code(),
                        message: error.to_string(),
                    }),
                },
            }),
            bad_desk_file: held.bad_desk_file.as_ref().map(ToString::to_string),
        }
    }

    /// A link that arrived while the app runs (the desktop's event). The
    /// link already waiting, delivered again, changes nothing (a check
    /// under way still counts): `false`.
    pub fn offer(&self, text: &str) -> bool {
        let link = HelpLink::parse(text);
        let mut held = self.lock();
        if held.link.as_ref() == Some(&link) {
            return false;
        }
        held.link = Some(link);
        held.checked = None;
        true
    }

    /// Asks the waiting link's desk who it is, over TLS to the link's key.
    pub async fn check(&self, route: &Route) -> Result<Brand, LaunchError> {
        let link = match &self.lock().link {
            Some(Ok(link)) => link.clone(),
            Some(Err(error)) => return Err(error.clone().into()),
            None => return Err(LaunchError::NoLink),
        };
        let brand = card::fetch(&link.desk, link.pin, route).await?;
        let mut held = self.lock();
        // Only if the same link still waits: a newer one is checked anew.
        if held
            .link
            .as_ref()
            .is_some_and(|waiting| waiting.as_ref() == Ok(&link))
        {
            held.checked = Some((link, brand.clone()));
        }
        Ok(brand)
    }

    /// The user trusts the checked link's desk: this run is its client.
    pub fn trust(&self) -> Result<LaunchDesk, LaunchError> {
        let mut held = self.lock();
        let (link, brand) = match (&held.link, &held.checked) {
            (None, _) => return Err(LaunchError::NoLink),
            (Some(Err(error)), _) => return Err(error.clone().into()),
            (Some(Ok(waiting)), Some((checked, brand))) if waiting == checked => {
                (checked.clone(), brand.clone())
            }
            (Some(Ok(_)), _) => return Err(LaunchError::NotChecked),
        };
        let desk = LaunchDesk {
            address: link.desk,
            pin: Some(link.pin),
            brand: Some(brand),
            source: DeskSource::Link,
        };
        held.mode = Some(Mode::Client);
        held.desk = Some(desk.clone());
        held.link = None;
        held.checked = None;
        Ok(desk)
    }

    /// The user does not follow the link.
    pub fn dismiss(&self) {
        let mut held = self.lock();
        held.link = None;
        held.checked = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "lifeline://get-help?desk=https://127.0.0.1:9&pin=6d6f6e6b657973206f6e206120747970657772697465722c2062792074686521";

    #[tokio::test]
    async fn an_unchecked_link_cannot_be_trusted() {
        let held = HeldDesk::new(Launch::default());
        assert_eq!(held.trust(), Err(LaunchError::NoLink));
        assert!(held.offer(LINK));
        assert!(!held.offer(LINK), "the same link again changes nothing");
        assert_eq!(held.trust(), Err(LaunchError::NotChecked));
        // Nothing listens on port 9: the check fails, and trust still does.
        let error = held.check(&Route::System).await.unwrap_err();
        assert_eq!(error.code(), "desk_unreachable");
        assert_eq!(held.trust(), Err(LaunchError::NotChecked));
        let view = held.view();
        assert_eq!(
            view.link.unwrap().desk.as_deref(),
            Some("https://127.0.0.1:9")
        );
        assert_eq!((view.mode, view.desk), (None, None));
        held.dismiss();
        assert!(held.view().link.is_none());
        assert!(held.offer("lifeline://get-help?desk=https://x.example&pin=12"));
        assert_eq!(
            held.check(&Route::System).await.unwrap_err().code(),
            "link_bad_pin"
        );
    }
}
