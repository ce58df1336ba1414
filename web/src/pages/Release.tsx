export function ReleasePage({ releaseId }: { releaseId: string }) {
  return <h1>Release {releaseId}</h1>;
}
