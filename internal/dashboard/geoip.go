package dashboard

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// GeoIP is one or more MaxMind-format databases (GeoLite2/GeoIP2 Country or
// City for countries, ASN for networks; a database that has both is fine),
// read into memory once.
type GeoIP struct {
	dbs []*maxminddb.Reader
}

// OpenGeoIP reads the databases from their bytes.
func OpenGeoIP(files map[string][]byte) (*GeoIP, error) {
	g := &GeoIP{}
	for name, b := range files {
		db, err := maxminddb.OpenBytes(b)
		if err != nil {
			return nil, fmt.Errorf("geoip: %s: %w", name, err)
		}
		g.dbs = append(g.dbs, db)
	}
	return g, nil
}

// record is the part of a record the panels read.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	ASN uint   `maxminddb:"autonomous_system_number"`
	Org string `maxminddb:"autonomous_system_organization"`
}

// Lookup returns the country's ISO code and the network ("AS15169 Google
// LLC") of an address, or "" for what the databases do not hold.
func (g *GeoIP) Lookup(ip string) (country, network string) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "", ""
	}
	for _, db := range g.dbs {
		var r record
		if err := db.Lookup(addr.Unmap()).Decode(&r); err != nil {
			continue
		}
		if country == "" {
			country = r.Country.ISOCode
		}
		if network == "" && r.ASN != 0 {
			network = "AS" + strconv.FormatUint(uint64(r.ASN), 10)
			if r.Org != "" {
				network += " " + r.Org
			}
		}
	}
	return country, network
}

// placeCounts files client IPs under their country and network.
type placeCounts struct {
	countries, networks counts
}

func newPlaceCounts() *placeCounts { return &placeCounts{countries: counts{}, networks: counts{}} }

func (p *placeCounts) add(g *GeoIP, ip string, hits, visitors int64) {
	country, network := g.Lookup(ip)
	if country == "" {
		country = Other
	}
	if network == "" {
		network = Other
	}
	p.countries.add(country, hits, visitors)
	p.networks.add(network, hits, visitors)
}

// Has reports which panels the databases can fill: countries (a Country
// or City database), networks (an ASN database).
func (g *GeoIP) Has() (countries, networks bool) {
	for _, db := range g.dbs {
		if strings.Contains(db.Metadata.DatabaseType, "ASN") {
			networks = true
		} else {
			countries = true
		}
	}
	return
}
