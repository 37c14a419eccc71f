// The request report's chart: requests received per month, one stacked bar per kind.
// Data comes from the page (json_script "request-chart-data"); Chart.js (vendored by the
// retention report) draws it.
(function () {
  "use strict";
  var source = document.getElementById("request-chart-data");
  var canvas = document.getElementById("request-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  // One colour per request kind (13), no two of the same hue: the old list had two browns and
  // two teals, and a manager could not tell archiving from restriction in the bars.
  var colours = ["#417690", "#e8772e", "#6f42c1", "#2e7d32", "#ba2121", "#0b7285", "#795548",
                 "#e6b800", "#ad1457", "#7f8c8d", "#8fbc5a", "#ff9da7", "#1a237e"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map(function (dataset, index) {
        return {
          label: dataset.label,
          data: dataset.data,
          backgroundColor: colours[index % colours.length]
        };
      })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
