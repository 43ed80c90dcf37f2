//! The OpenAPI document lists exactly the routes served.

use std::collections::BTreeSet;

use crate::support::TestServer;

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(quire_server::OPENAPI).unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_served() {
    let served: BTreeSet<(String, String)> =
        quire_server::registered_routes().into_iter().collect();
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.json: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "in openapi.json but not served: {phantom:?}"
    );
}

#[tokio::test]
async fn the_document_is_served_without_login() {
    let db = crate::support::backends().await.remove(0);
    let server = TestServer::start(db).await;
    let answer = server.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["info"]["title"], "Quire API");
}
