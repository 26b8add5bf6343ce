// The dashboard's interactive charts, drawn with uPlot (static/uplot)
// from the numbers of the JSON endpoints. Each element with data-chart
// names its kind (curve, history or top) and data-src its numbers. Hover
// shows the values, a drag zooms, a double click zooms out. A chart that
// cannot be drawn shows the SVG image of data-fallback instead, as the
// page does without JavaScript (<noscript>).
(function () {
	"use strict";
	var els = document.querySelectorAll("[data-chart]");
	if (!els.length) return;
	if (!window.uPlot || !window.fetch) {
		els.forEach(function (el) { fallback(el, "charts need a newer browser"); });
		return;
	}

	var blue = "#1f77b4", orange = "#ff7f0e", red = "#d62728", green = "#2ca02c", grey = "#999";
	var stateColors = {complete: blue, pruned: orange, failed: red};
	var noPaths = function () { return null; };
	// Epochs and trial numbers are whole: so are their ticks.
	var whole = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

	// fmt shows a number as the pages do: 5 significant digits.
	function fmt(v) {
		return v == null ? "—" : String(Number(v.toPrecision(5)));
	}
	function value(u, v) { return fmt(v); }

	// wide reports whether the finite values vs are positive and spread
	// over more than a decade: then the axis is logarithmic.
	function wide(vs) {
		var lo = Infinity, hi = -Infinity;
		vs.forEach(function (v) {
			if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
		});
		return lo > 0 && hi / lo > 10;
	}
	function yScale(vs) {
		return wide(vs) ? {distr: 3, log: 10} : {};
	}

	function size(el) {
		var w = Math.max(240, el.clientWidth || 0);
		return {width: w, height: Math.round(Math.min(360, Math.max(240, w * 0.6)))};
	}

	function note(el, text) {
		var p = el.querySelector(".chart-note");
		if (!p) {
			p = document.createElement("p");
			p.className = "chart-note";
			el.appendChild(p);
		}
		p.textContent = text;
	}

	function fallback(el, why) {
		el.textContent = "";
		if (el.dataset.fallback) {
			var img = document.createElement("img");
			img.src = el.dataset.fallback;
			img.alt = el.dataset.chart;
			el.appendChild(img);
		} else {
			note(el, why);
		}
	}

	// Each kind turns its JSON into uPlot's options and data.
	var kinds = {
		// A trial's losses by epoch, accuracy on a second axis, the
		// best epoch marked.
		curve: function (el, d) {
			if (!d.epoch.length) return {empty: "No epoch trained yet."};
			var data = [d.epoch, d.train, d.val];
			var series = [{label: "epoch"},
				{label: "train loss", stroke: grey, width: 1.5, value: value},
				{label: "val loss", stroke: blue, width: 2, value: value}];
			var axes = [{label: "epoch", incrs: whole}, {label: "loss", size: 56}];
			var scales = {x: {time: false}, y: yScale(d.train.concat(d.val))};
			if (d.acc) {
				data.push(d.acc);
				series.push({label: "val acc", scale: "acc", stroke: green, width: 1.5, dash: [6, 4], value: value});
				axes.push({label: "accuracy", scale: "acc", side: 1, size: 50, grid: {show: false}});
				scales.acc = {auto: true};
			}
			if (d.best > 0) {
				data.push(d.epoch.map(function (e, i) { return e === d.best ? d.val[i] : null; }));
				series.push({label: "best (epoch " + d.best + ")", stroke: red, paths: noPaths,
					points: {show: true, size: 10, fill: red}, value: value});
			}
			return {data: data, opts: {series: series, axes: axes, scales: scales}};
		},

		// Each finished trial's loss by state, and the best so far;
		// a click on a trial's point opens its page.
		history: function (el, d) {
			if (!d.trial.length) return {empty: "No finished trial yet."};
			var data = [d.trial];
			var series = [{label: "trial", value: function (u, v) { return v == null ? "—" : "#" + v; }}];
			d.states.forEach(function (st, k) {
				var c = stateColors[st] || grey;
				data.push(d.loss.map(function (l, i) { return d.state[i] === k ? l : null; }));
				series.push({label: st, stroke: c, paths: noPaths, points: {show: true, size: 7, fill: c}, value: value});
			});
			data.push(d.best);
			series.push({label: "best so far", stroke: red, width: 2, paths: uPlot.paths.stepped({align: 1}),
				points: {show: false}, value: value});
			// Half a trial of room at either end, so that no point is cut.
			var pad = function (u, lo, hi) { return [lo - 0.5, hi + 0.5]; };
			var opts = {series: series, axes: [{label: "trial", incrs: whole}, {label: "loss", size: 56}],
				scales: {x: {time: false, range: pad}, y: yScale(d.loss)}};
			return {data: data, opts: opts, open: function (u) {
				// The trial under the cursor, if the cursor is on its point.
				var i = u.cursor.idx;
				if (i == null) return null;
				var y = u.valToPos(d.loss[i], "y");
				return Math.abs(y - u.cursor.top) <= 10 ? d.trial[i] : null;
			}};
		},

		// The validation loss of the best trials by epoch; hover picks
		// the nearest curve, a click opens its trial.
		top: function (el, d) {
			if (!d.trials.length) return {empty: "No trial with a loss yet."};
			var n = d.trials.length, data = [d.epoch], all = [];
			var series = [{label: "epoch"}];
			d.trials.forEach(function (t, k) {
				var hue = n > 1 ? 215 - 185 * k / (n - 1) : 215;
				data.push(t.val);
				all = all.concat(t.val);
				series.push({label: "#" + t.trial, stroke: "hsl(" + Math.round(hue) + ",70%,45%)",
					width: k === 0 ? 2.5 : 1.25, value: value});
			});
			var opts = {series: series, axes: [{label: "epoch", incrs: whole}, {label: "validation loss", size: 56}],
				scales: {x: {time: false}, y: yScale(all)},
				cursor: {focus: {prox: 20}}, focus: {alpha: 0.25}};
			var what = n < d.of ? "the " + n + " best of " + d.of + " trials" : "all " + n + " trials";
			return {data: data, opts: opts, many: n > 6,
				note: what + " (leaderboard order); hover or tap a curve for its values, click or tap again to open its trial",
				open: function (u, focused) { return focused ? d.trials[focused - 1].trial : null; }};
		}
	};

	function draw(el) {
		fetch(el.dataset.src, {credentials: "same-origin"})
			.then(function (r) {
				if (!r.ok) throw new Error(r.status + " " + r.statusText);
				return r.json();
			})
			.then(function (d) { show(el, d); })
			.catch(function (err) {
				if (!el._chart) fallback(el, "chart not drawn: " + err.message);
			});
	}

	function show(el, d) {
		var c = kinds[el.dataset.chart](el, d);
		var old = el._chart;
		if (c.empty) {
			if (old) { old.u.destroy(); el._chart = null; }
			delete el.dataset.drawn;
			el.textContent = "";
			note(el, c.empty);
			return;
		}
		// New numbers of the same series keep the zoom, if any.
		if (old && sameSeries(old.opts.series, c.opts.series)) {
			old.open = c.open;
			old.u.setData(c.data, !old.zoomed);
			if (c.note) note(el, c.note);
			return;
		}
		if (old) old.u.destroy();
		el.textContent = "";
		var chart = {opts: c.opts, open: c.open, zoomed: false, focused: null};
		var opts = c.opts;
		var sz = size(el);
		opts.width = sz.width;
		opts.height = sz.height;
		opts.hooks = {
			setSelect: [function (u) { if (u.select.width > 0) chart.zoomed = true; }],
			// The series the cursor is nearest, with cursor.focus; a
			// compact legend shows its row alone.
			setSeries: [function (u, i, o) {
				if (!o || o.focus == null) return;
				chart.focused = i;
				u.root.querySelectorAll(".u-legend .u-series").forEach(function (row, k) {
					row.classList.toggle("focused", k > 0 && k === i);
				});
			}]
		};
		el.classList.toggle("many", !!c.many);
		compact(el);
		chart.u = new uPlot(opts, c.data, el);
		el._chart = chart;
		el.dataset.drawn = "true";
		if (c.note) note(el, c.note);
		var over = chart.u.over;
		over.addEventListener("dblclick", function () { chart.zoomed = false; });
		if (chart.open && el.dataset.href) {
			el.classList.add("links");
			var down = null, touch = false, tapped = null;
			over.addEventListener("pointerdown", function (e) { touch = e.pointerType === "touch"; });
			over.addEventListener("mousedown", function (e) { down = [e.clientX, e.clientY]; });
			over.addEventListener("click", function (e) {
				// A drag zooms; only a click in place opens a trial.
				if (down && (Math.abs(e.clientX - down[0]) > 3 || Math.abs(e.clientY - down[1]) > 3)) return;
				var t = chart.open(chart.u, chart.focused);
				// A finger cannot hover: its first tap on a trial
				// shows its values, a second opens it.
				if (touch && t !== tapped) { tapped = t; return; }
				if (t != null) location.href = el.dataset.href + t;
			});
		}
	}

	// compact marks a chart of many series that is narrow (a phone's):
	// its legend then shows the row of the series under the cursor only,
	// not a screenful of rows (dashboard.css).
	function compact(el) {
		el.classList.toggle("compact", el.classList.contains("many") && (el.clientWidth || 0) < 640);
	}

	function sameSeries(a, b) {
		if (a.length !== b.length) return false;
		for (var i = 0; i < a.length; i++) {
			if (a[i].label !== b[i].label) return false;
		}
		return true;
	}

	els.forEach(function (el) {
		el.textContent = ""; // the <noscript> fallback
		draw(el);
	});

	// Charts follow the width of their box: the window's on a phone.
	if (window.ResizeObserver) {
		var ro = new ResizeObserver(function (entries) {
			entries.forEach(function (en) {
				var el = en.target, c = el._chart;
				if (!c) return;
				var sz = size(el);
				if (sz.width === c.u.width) return;
				// In the next frame: resizing the chart (and its
				// legend) in the observer's callback would resize
				// what it observes, in a loop the browser reports.
				requestAnimationFrame(function () {
					compact(el);
					c.u.setSize(size(el));
				});
			});
		});
		els.forEach(function (el) { ro.observe(el); });
	}

	// A running study's charts take its new numbers (live.js tells),
	// at most every two seconds. A longer leaderboard may have moved
	// them: uPlot measures where again, as it does after a scroll.
	var pending = false;
	document.addEventListener("dltune:change", function () {
		els.forEach(function (el) { if (el._chart) el._chart.u.syncRect(true); });
		if (pending) return;
		pending = true;
		setTimeout(function () {
			pending = false;
			els.forEach(draw);
		}, 2000);
	});
})();
