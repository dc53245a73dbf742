// Where the Mysfits API lives. The embedded default serves its own copy of this file made from the
// running API's URL, and the AWS deploy writes one next to index.html; this one suits a bare
// static server in front of `make run`'s API.
window.MYSFITS_CONFIG = Object.freeze({ apiBaseUrl: "http://127.0.0.1:8080" });
