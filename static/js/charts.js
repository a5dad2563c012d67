/* KPI charts: data comes from a json_script element, plotted with SVG traces only (no WebGL,
   no inline scripts), so a strict Content-Security-Policy can apply. */
(function () {
  "use strict";

  var RAG_COLOURS = { green: "#1f7a3a", amber: "#9a6400", red: "#b3261e", none: "#6b7280" };

  var RAG_WORDS = { green: "● on target", amber: "▲ at risk", red: "■ off target" };

  function drawAttainment(element, data) {
    window.Plotly.newPlot(element, [{
      type: "bar", orientation: "h",
      y: data.bars.map(function (b) { return b.name; }),
      x: data.bars.map(function (b) { return b.percent; }),
      marker: { color: data.bars.map(function (b) { return RAG_COLOURS[b.rag]; }) },
      // The status in words and shape on each bar: never by colour alone.
      text: data.bars.map(function (b) { return b.percent + "% " + (RAG_WORDS[b.rag] || ""); }),
      textposition: "inside", insidetextanchor: "start", textfont: { color: "#fff" },
      hovertemplate: "%{y}: %{x}% of target<extra></extra>"
    }], {
      margin: { t: 10, r: 20, b: 40, l: 10 }, height: 60 + 32 * data.bars.length,
      xaxis: { title: { text: "% of target" } },
      yaxis: { automargin: true },
      shapes: [{ type: "line", x0: 100, x1: 100, yref: "paper", y0: 0, y1: 1,
                 line: { dash: "dash", color: "#1d2330" } }]
    }, { responsive: true, displaylogo: false });
  }

  function band(points, lo, hi, name, colour, group, visible) {
    // The upper edge, then the lower one back: one closed shape filled, no trace to pair with.
    var xs = points.map(function (p) { return p.date; });
    return {
      x: xs.concat(xs.slice().reverse()),
      y: points.map(function (p) { return p[hi]; }).concat(
        points.map(function (p) { return p[lo]; }).reverse()),
      name: name, type: "scatter", mode: "lines", fill: "toself", fillcolor: colour,
      line: { width: 0 }, hoverinfo: "skip", legendgroup: group, visible: visible
    };
  }

  function forecastTraces(element, unit) {
    // The latest forecast as a dashed line in its 95 % and 80 % bands; earlier forecasts are
    // in the legend, hidden until chosen, to lay over what happened.
    var source = element.dataset.forecast && document.getElementById(element.dataset.forecast);
    if (!source) { return []; }
    var data = JSON.parse(source.textContent);
    var traces = [];
    if (data.forecast && data.forecast.points.length) {
      var points = data.forecast.points;
      traces.push(band(points, "lo95", "hi95", "95 % band", "rgba(35,85,196,0.10)", "fc", true));
      traces.push(band(points, "lo80", "hi80", "80 % band", "rgba(35,85,196,0.22)", "fc", true));
      traces.push({
        x: points.map(function (p) { return p.date; }),
        y: points.map(function (p) { return p.value; }),
        hovertemplate: "%{x}: forecast %{y} " + unit + "<extra></extra>",
        name: "Forecast (" + data.forecast.method + ")", type: "scatter", mode: "lines",
        line: { color: "#2355c4", dash: "dash" }, legendgroup: "fc"
      });
    }
    (data.past || []).forEach(function (past) {
      traces.push({
        x: past.points.map(function (p) { return p.date; }),
        y: past.points.map(function (p) { return p.value; }),
        hovertemplate: "%{x}: forecast v" + past.version + " %{y} " + unit + "<extra></extra>",
        name: "Forecast v" + past.version + " (" + past.made_at.slice(0, 10) + ")",
        type: "scatter", mode: "lines", line: { color: "#6b7280", dash: "dot", width: 1 },
        visible: "legendonly"
      });
    });
    return traces;
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    if (element.dataset.chartKind === "attainment") { drawAttainment(element, data); return; }
    var traces = [];
    if (data.targets.length) {
      traces.push({
        x: data.targets.map(function (t) { return t.date; }),
        y: data.targets.map(function (t) { return t.amber; }),
        name: "Amber threshold", type: "scatter", mode: "lines", line: { shape: "hv", width: 0 },
        hoverinfo: "skip", showlegend: false
      });
      traces.push({
        x: data.targets.map(function (t) { return t.date; }),
        y: data.targets.map(function (t) { return t.green; }),
        name: "Target band", type: "scatter", mode: "lines", line: { shape: "hv", width: 0 },
        fill: "tonexty", fillcolor: "rgba(31,122,58,0.15)"
      });
      traces.push({
        x: data.targets.map(function (t) { return t.date; }),
        y: data.targets.map(function (t) { return t.value; }),
        name: "Target", type: "scatter", mode: "lines", line: { shape: "hv", dash: "dash", color: "#1f7a3a" }
      });
    }
    traces.push({
      x: data.values.map(function (v) { return v.date; }),
      y: data.values.map(function (v) { return v.value; }),
      text: data.values.map(function (v) { return v.confidence; }),
      hovertemplate: "%{x}: %{y} " + data.unit + " (%{text})<extra></extra>",
      name: "Actual", type: "scatter", mode: "lines+markers", line: { color: "#2355c4" }
    });
    forecastTraces(element, data.unit).forEach(function (trace) { traces.push(trace); });
    window.Plotly.newPlot(element, traces, {
      margin: { t: 10, r: 10, b: 40, l: 50 }, height: 320, hovermode: "x unified",
      yaxis: { title: { text: data.unit } }, legend: { orientation: "h" }
    }, { responsive: true, displaylogo: false });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
}());
