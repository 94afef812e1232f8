// The shop API behind the example collection: a cart you add items to,
// read, and check out. Runs inside the Postman CLI's mock runtime, which
// provides `pm.state` for state that lasts across requests.
const http = require("http");

const JSON_HEADER = { "Content-Type": "application/json" };

function send(res, status, body) {
  res.writeHead(status, JSON_HEADER);
  res.end(JSON.stringify(body));
}

function readJson(req) {
  return new Promise((resolve) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      try {
        resolve(raw ? JSON.parse(raw) : {});
      } catch (err) {
        resolve({});
      }
    });
  });
}

const server = http.createServer(async (req, res) => {
  const body = readJson(req);
  const cart = (await pm.state.get("cart")) || [];

  // @endpoint GET /health
  if (req.method === "GET" && req.url === "/health") {
    return send(res, 200, { status: "ok" });
  }

  // @endpoint POST /cart/items
  if (req.method === "POST" && req.url === "/cart/items") {
    const item = await body;
    if (!item.name) {
      return send(res, 422, { error: "An item needs a name." });
    }
    cart.push({ name: item.name, price: item.price ?? 0, qty: item.qty ?? 1 });
    await pm.state.set("cart", cart);
    return send(res, 201, { items: cart });
  }

  // @endpoint GET /cart
  if (req.method === "GET" && req.url === "/cart") {
    const total = cart.reduce((sum, i) => sum + i.price * i.qty, 0);
    return send(res, 200, { items: cart, total });
  }

  // @endpoint POST /checkout
  if (req.method === "POST" && req.url === "/checkout") {
    if (!cart.length) {
      return send(res, 400, { error: "Cart is empty." });
    }
    await pm.state.set("cart", []);
    return send(res, 201, { orderId: "order-1", items: cart, status: "confirmed" });
  }

  send(res, 404, { error: `No route for ${req.method} ${req.url}` });
});

server.listen(process.env.PORT || 4010);
