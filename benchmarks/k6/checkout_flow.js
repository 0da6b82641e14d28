// The checkout flow of loadtests/checkout_flow.py in k6, for benchmarks/generator_vs_k6.py:
// products -> product -> cart -> line -> order -> pay -> poll the order until paid, started at a
// constant arrival rate (k6's open model, as --shopflow-shape constant_rate is).
// Inputs by variable: API_URL, TOKEN, RUN_ID, RATE, DURATION, VUS, PAYMENT_METHOD, RESERVED (comma list).
import http from "k6/http";
import { sleep } from "k6";

const API = __ENV.API_URL;
const RESERVED = (__ENV.RESERVED || "").split(",");
const MIN_STOCK_TO_BUY = 40;
const HEADERS = {
  Authorization: `Bearer ${__ENV.TOKEN}`,
  "X-ShopFlow-Test-Run": __ENV.RUN_ID,
  "Content-Type": "application/json",
};

export const options = {
  scenarios: {
    checkout: {
      executor: "constant-arrival-rate",
      rate: Number(__ENV.RATE),
      timeUnit: "1s",
      duration: __ENV.DURATION,
      preAllocatedVUs: Number(__ENV.VUS),
    },
  },
  summaryTrendStats: ["med", "p(95)", "p(99)", "count"],
};

export function setup() {
  const items = [];
  for (let page = 1; ; page++) {
    const body = http.get(`${API}/api/products?page=${page}&per_page=100`, { headers: HEADERS }).json();
    items.push(...body.items);
    if (items.length >= body.total || body.items.length === 0) break;
  }
  return { items: items.filter((p) => p.stock >= MIN_STOCK_TO_BUY && !RESERVED.includes(p.slug)) };
}

function post(path, body, name, extra) {
  return http.post(`${API}${path}`, JSON.stringify(body), { headers: Object.assign({}, HEADERS, extra || {}), tags: { name } });
}

export default function (data) {
  const list = http.get(`${API}/api/products?page=1&per_page=20`, { headers: HEADERS, tags: { name: "/api/products" } }).json();
  http.get(`${API}/api/products/${list.items[0].id}`, { headers: HEADERS, tags: { name: "/api/products/[id]" } });
  const product = data.items[Math.floor(Math.random() * data.items.length)];
  const cart = post("/api/carts", null, "/api/carts").json();
  post(`/api/carts/${cart.id}/lines`, { product_id: product.id, quantity: 1 }, "/api/carts/[id]/lines");
  const email = `guest+k6.v${__VU}.${__ITER}.${Math.random().toString(16).slice(2, 8).padEnd(6, "0")}@example.com`;
  const order = post("/api/orders", {
    cart_id: cart.id,
    email,
    shipping_address: { name: "Test Customer", line1: "1 Test Street", city: "Springfield", postal_code: "12345", country: "US" },
  }, "/api/orders").json();
  const key = `${__VU}-${__ITER}-${Math.random()}`;
  post(`/api/orders/${order.id}/pay`, { payment_method: __ENV.PAYMENT_METHOD }, "/api/orders/[id]/pay", { "Idempotency-Key": key });
  const deadline = Date.now() + 15000;
  for (;;) {
    const status = http.get(`${API}/api/orders/${order.id}`, { headers: HEADERS, tags: { name: "/api/orders/[id]" } }).json("status");
    if (status === "paid" || status === "fulfilled" || Date.now() > deadline) break;
    sleep(0.25);
  }
}
