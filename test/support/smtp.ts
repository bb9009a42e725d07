// A real SMTP server for alert e-mail tests (the smtp-server package, in process on loopback):
// it accepts every message and keeps the envelope and the raw message.
import { SMTPServer } from "smtp-server";

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** An SMTP server on `port` that keeps what it accepts in `inbox`. */
export async function smtpServer(port: number, inbox: Mail[]): Promise<{ close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, done) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (d: string) => (raw += d));
      stream.on("end", () => {
        const from = session.envelope.mailFrom;
        inbox.push({ from: from ? from.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The text/plain part of a message, quoted-printable soft breaks joined (nodemailer wraps long lines). */
export function plainText(raw: string): string {
  const part = raw.split(/Content-Type: text\/plain[^\n]*\n/i)[1] ?? raw;
  const body =
    part
      .split(/\r?\n\r?\n/)
      .slice(1)
      .join("\n\n")
      .split(/\r?\n--/)[0] ?? "";
  return body
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\r\n/g, "\n");
}
