//! The page's files, compiled into the binary: plain HTML, CSS and JavaScript modules, no
//! build step. Each is served at a fixed path; there is no route that maps a request path
//! to a file, so nothing else on the disk can be read through the studio.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// (path, content type, body) of every file the page uses.
pub(crate) const ASSETS: [(&str, &str, &str); 8] = [
    ("/", "text/html; charset=utf-8", include_str!("assets/index.html")),
    ("/assets/studio.css", "text/css; charset=utf-8", include_str!("assets/studio.css")),
    ("/assets/app.js", "text/javascript; charset=utf-8", include_str!("assets/app.js")),
    ("/assets/canvas.js", "text/javascript; charset=utf-8", include_str!("assets/canvas.js")),
    ("/assets/form.js", "text/javascript; charset=utf-8", include_str!("assets/form.js")),
    ("/assets/flowfile.js", "text/javascript; charset=utf-8", include_str!("assets/flowfile.js")),
    ("/assets/dom.js", "text/javascript; charset=utf-8", include_str!("assets/dom.js")),
    ("/assets/progress.js", "text/javascript; charset=utf-8", include_str!("assets/progress.js")),
];

/// A `GET` route per file.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, &(path, content_type, body)| {
        router.route(path, get(move || async move { ([(header::CONTENT_TYPE, content_type)], body).into_response() }))
    })
}
