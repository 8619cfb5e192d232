import type { PortModel } from "./model";

/** How a run checks a published port before it is READY, and how the preview is offered. */
export type PreviewProtocol = "http" | "tcp";

/**
 * Well-known ports of servers that do not speak HTTP: databases, brokers, caches, mail, directory,
 * remote shells. A preview of one of them must only accept a connection; asking it for a page would
 * fail the run although the server is fine.
 */
const NON_HTTP_PORTS: ReadonlyMap<number, string> = new Map([
  [21, "FTP"],
  [22, "SSH"],
  [25, "SMTP"],
  [53, "DNS"],
  [110, "POP3"],
  [143, "IMAP"],
  [389, "LDAP"],
  [465, "SMTPS"],
  [587, "SMTP submission"],
  [636, "LDAPS"],
  [993, "IMAPS"],
  [995, "POP3S"],
  [1433, "SQL Server"],
  [1521, "Oracle"],
  [1883, "MQTT"],
  [2181, "ZooKeeper"],
  [3306, "MySQL/MariaDB"],
  [4222, "NATS"],
  [5044, "Logstash Beats"],
  [5432, "PostgreSQL"],
  [5672, "AMQP (RabbitMQ)"],
  [6379, "Redis"],
  [6380, "Redis (TLS)"],
  [7000, "Cassandra"],
  [8883, "MQTT (TLS)"],
  [9042, "Cassandra CQL"],
  [9092, "Kafka"],
  [9093, "Kafka"],
  [9300, "Elasticsearch transport"],
  [11211, "Memcached"],
  [26257, "CockroachDB SQL"],
  [27017, "MongoDB"],
  [29092, "Kafka"],
  [33060, "MySQL X protocol"],
]);

/**
 * The rule, in this order: the port's compose `app_protocol` when it has one (`http`, `https`, `h2c`,
 * `ws`, `wss`, `grpc`... are HTTP; anything else, such as `tcp`, `redis` or `postgresql`, is not);
 * else a well-known non-HTTP port ({@link NON_HTTP_PORTS}) is TCP; every other port is HTTP, since
 * that is what a preview of a web app is for.
 */
export function previewProtocol(port: Pick<PortModel, "target" | "appProtocol">): PreviewProtocol {
  if (port.appProtocol) return /^(https?|h2c?|wss?|grpc)$/i.test(port.appProtocol) ? "http" : "tcp";
  return NON_HTTP_PORTS.has(port.target) ? "tcp" : "http";
}

/** What a well-known non-HTTP port is, for messages; undefined for other ports. */
export function wellKnownServer(port: number): string | undefined {
  return NON_HTTP_PORTS.get(port);
}
