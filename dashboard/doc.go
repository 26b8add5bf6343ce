// Package dashboard serves a read-only web view of stored studies: the
// list of studies, each study's leaderboard and plots, and one page per
// trial. It reads through a Source and never changes a study.
//
// Pages are rendered server-side with html/template, which escapes what
// a study file or trial stores. A study's leaderboard is sorted and paged
// on the server, so that a study of 10,000 trials sends 50 rows at a
// time, with or without JavaScript. Most plots are the SVG images of
// package plot. The learning curve, the history and the best trials'
// curves are interactive charts: static/charts.js draws them with the
// vendored uPlot (static/uplot) from small JSON documents of numbers, and
// the SVG stays for browsers without JavaScript. Scripts and styles are
// embedded files served under /static/, so that the content security
// policy allows 'self' and nothing inline.
//
// The handler keeps what it read of a study (its ranked leaderboard, its
// plots) until the study changes. A store that says cheaply whether it
// did (a Revision method, as the bbolt and PostgreSQL stores have) is
// asked that alone; another is read whole to find out. A study page
// follows a running study through server-sent events: one poller per
// study, shared by every page open on it, asks the store every second and
// sends an event when the study changed, and the page then reloads its
// page of the leaderboard and its charts alone. A study that is slow to
// read gets its events spaced, at ten times the time a read took. The
// list of studies follows them all the same way, through one stream
// whose poller asks every study's revision (a page per running study's
// stream would soon pass the six connections a browser opens to a
// host).
package dashboard
