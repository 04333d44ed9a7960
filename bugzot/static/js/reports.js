/* The report chart: reads the table's data from <script type="application/json"
   id="report-data"> (no inline script: CSP is script-src 'self') and draws a
   stacked bar chart with Chart.js. */
(function () {
  "use strict";
  var dataEl = document.getElementById("report-data");
  var canvas = document.getElementById("report-chart");
  if (!dataEl || !canvas || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(dataEl.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: data.datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { stacked: true, title: { display: true, text: data.xTitle } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }
      }
    }
  });
})();
