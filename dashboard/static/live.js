// Follows a running study without reloading the page: the element with
// data-events names the study's event stream; on each change event the
// leaderboard (#board, from its data-src) is fetched again, then the
// charts are told through a "dltune:change" event on the document.
(function () {
	"use strict";
	var el = document.querySelector("[data-events]");
	if (!el || !window.EventSource) return;
	var board = document.getElementById("board");
	function reload() {
		if (!board || !board.dataset.src) return Promise.resolve();
		return fetch(board.dataset.src, {credentials: "same-origin"})
			.then(function (r) { return r.ok ? r.text() : null; })
			.then(function (t) { if (t !== null) board.innerHTML = t; })
			.catch(function () {});
	}
	// The leaderboard first, then the charts, which its new height may
	// have moved.
	function changed() {
		reload().then(function () { document.dispatchEvent(new Event("dltune:change")); });
	}
	var s = new EventSource(el.dataset.events);
	// A stream told the page's revision (?since=) reports any change
	// since then. One that was not reports changes from when it opens:
	// what changed since the page was drawn, or while a dropped stream
	// reconnected, needs one reload.
	if (el.dataset.events.indexOf("since=") < 0) s.addEventListener("open", changed);
	s.addEventListener("change", changed);
})();
